/**
 * Checks a message received from a webview before the host acts on it. Pure (no vscode):
 * returns the typed message, or a reason why it is ignored.
 */
import type { FromWebview } from '../protocol/messages.js';

export type Checked = { ok: true; message: FromWebview.Message } | { ok: false; reason: string };

const MAX_STRING = 512;
/** Images dropped from the OS arrive as base64; beyond this they are refused. */
export const MAX_DROP_BASE64 = 64 * 1024 * 1024;
const MAX_PNG_DATA_URL = 64 * 1024 * 1024;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = MAX_STRING): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const optStr = (v: unknown, max = MAX_STRING) => v === undefined || isStr(v, max);

export function checkFromWebview(raw: unknown): Checked {
  if (!isObj(raw)) return { ok: false, reason: 'not an object' };
  const t = raw.type;
  if (typeof t !== 'string') return { ok: false, reason: 'no type' };
  const bad = (why: string): Checked => ({ ok: false, reason: `${t}: ${why}` });
  switch (t) {
    case 'ready':
    case 'runFolder':
      return { ok: true, message: { type: t } };
    case 'exportCsv':
      if (raw.subject !== undefined && raw.subject !== 'comparison') return bad("subject must be 'comparison' or absent");
      return { ok: true, message: raw.subject ? { type: t, subject: raw.subject } : { type: t } };
    case 'reveal':
    case 'graphSelect':
      return isStr(raw.layer) ? { ok: true, message: { type: t, layer: raw.layer } } : bad('layer must be a non-empty string');
    case 'compare':
      return isStr(raw.a, 64) && isStr(raw.b, 64) ? { ok: true, message: { type: t, a: raw.a, b: raw.b } } : bad('a and b must be run ids');
    case 'chooseImage':
      return raw.how === 'dialog' || raw.how === 'quickPick' ? { ok: true, message: { type: t, how: raw.how } } : bad("how must be 'dialog' or 'quickPick'");
    case 'dropImage': {
      if (!optStr(raw.uri, 4096) || !optStr(raw.name) || !optStr(raw.base64, MAX_DROP_BASE64)) return bad('uri/name/base64 must be strings of sane length');
      if (raw.uri === undefined && raw.base64 === undefined) return bad('needs a uri or the bytes');
      if (raw.base64 !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(raw.base64 as string)) return bad('base64 is not base64');
      const m: FromWebview.DropImage = { type: t };
      if (raw.uri !== undefined) m.uri = raw.uri as string;
      if (raw.name !== undefined) m.name = raw.name as string;
      if (raw.base64 !== undefined) m.base64 = raw.base64 as string;
      return { ok: true, message: m };
    }
    case 'exportPng':
      if (raw.subject !== undefined && raw.subject !== 'comparison') return bad("subject must be 'comparison' or absent");
      return isStr(raw.dataUrl, MAX_PNG_DATA_URL) && (raw.dataUrl as string).startsWith('data:image/png;base64,')
        ? { ok: true, message: { type: t, dataUrl: raw.dataUrl as string, ...(raw.subject ? { subject: raw.subject } : {}) } }
        : bad('dataUrl must be a PNG data URL');
    case 'exportReport':
      return raw.format === 'markdown' || raw.format === 'json' ? { ok: true, message: { type: t, format: raw.format } } : bad("format must be 'markdown' or 'json'");
    case 'showRun':
      return isStr(raw.id, 64) ? { ok: true, message: { type: t, id: raw.id as string } } : bad('id must be a run id');
    default:
      return { ok: false, reason: `unknown type '${t.slice(0, 40)}'` };
  }
}
