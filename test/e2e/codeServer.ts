// Harness for driving the extension in a real VS Code: code-server (VS Code's workbench and
// extension host, served over HTTP) + Debian's chromium driven by playwright-core.
// Install the pieces first with `bash scripts/setup-real-vscode.sh`.
//
// Every wait here is bounded and fails with a message that says what did not happen.
//
//   const cs = await startCodeServer({ profile: 'demo', vsix: ['/abs/ext.vsix'] });
//   const browser = await launchBrowser();
//   const page = await openWorkbench(browser, cs, '/abs/folder', {
//     beforeNavigate: (p) => onExtensionHostConsole(p, (line) => log(`exthost: ${line}`)),
//   });
//   await runCommand(page, 'SE Inspector: Open');          // palette; retries until listed
//   await waitForExtensionActivation(cs, 'se-inspector.se-inspector');
//   await webviewFrame(page).getByRole('button', { name: 'Run' }).click();
//   await screenshot(page, 'after-run');
//   await browser.close(); await cs.stop();

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import util from 'node:util';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type FrameLocator, type Page } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WORK = path.join(ROOT, '.test-work');
export const CODE_SERVER_BIN = path.join(WORK, 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(WORK, 'screenshots');

/** Chromium flags that keep a headless run offline-friendly and quiet. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** User settings written into each fresh profile: no welcome page, no tips, no update checks. */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'window.restoreWindows': 'none',
};

// ------------------------------------------------------------------ small utilities

export function log(msg: string): void {
  process.stderr.write(`[e2e ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

/** Rejects with `message` if `p` has not settled after `ms` milliseconds. */
export async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (timed out after ${Math.round(ms / 1000)} s)`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (asked from the OS, then released). */
export async function freePort(): Promise<number> {
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const port = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
      });
    }),
    5000,
    'finding a free port',
  );
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ------------------------------------------------------------------ code-server

export interface Profile {
  /** Folder holding everything below (under .test-work/profiles/). */
  dir: string;
  userDataDir: string;
  extensionsDir: string;
  home: string;
  configFile: string;
  /** Short XDG_RUNTIME_DIR in the OS temp dir: VS Code's IPC socket paths must stay < 108 chars. */
  runtimeDir: string;
}

/**
 * The folders of one code-server profile under .test-work/profiles/<name>. With `fresh` (the
 * default) the profile is wiped first, so no state leaks from an earlier run.
 */
export function makeProfile(name = 'default', opts: { fresh?: boolean; settings?: Record<string, unknown> } = {}): Profile {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`bad profile name: ${name}`);
  const dir = path.join(WORK, 'profiles', name);
  if (opts.fresh ?? true) fs.rmSync(dir, { recursive: true, force: true });
  const p: Profile = {
    dir,
    userDataDir: path.join(dir, 'user-data'),
    extensionsDir: path.join(dir, 'extensions'),
    home: path.join(dir, 'home'),
    configFile: path.join(dir, 'config.yaml'),
    runtimeDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cs-run-')),
  };
  for (const d of [p.userDataDir, p.extensionsDir, p.home, path.join(p.userDataDir, 'User')]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(p.configFile, 'auth: none\ncert: false\n');
  const settingsFile = path.join(p.userDataDir, 'User', 'settings.json');
  if (!fs.existsSync(settingsFile) || opts.settings) {
    fs.writeFileSync(settingsFile, JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2));
  }
  return p;
}

/** Environment for code-server: HOME and XDG dirs inside the profile, no VS Code variables leaking in. */
function profileEnv(p: Profile): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VSCODE_|ELECTRON_|CODE_SERVER_|PASSWORD$|HASHED_PASSWORD$|PORT$)/.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: p.home,
    XDG_CONFIG_HOME: path.join(p.home, '.config'),
    XDG_DATA_HOME: path.join(p.home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(p.home, '.cache'),
    XDG_RUNTIME_DIR: p.runtimeDir,
  };
}

function assertInstalled(): void {
  if (!fs.existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server not found at ${CODE_SERVER_BIN}: run 'bash scripts/setup-real-vscode.sh' first`);
  }
}

/** Installs a .vsix into the profile's extensions dir (code-server CLI; must not be running on it). */
export function installVsix(p: Profile, vsix: string, timeoutMs = 120_000): void {
  assertInstalled();
  const abs = path.resolve(vsix);
  if (!fs.existsSync(abs)) throw new Error(`vsix not found: ${abs}`);
  const started = Date.now();
  const r = spawnSync(
    CODE_SERVER_BIN,
    ['--config', p.configFile, '--user-data-dir', p.userDataDir, '--extensions-dir', p.extensionsDir, '--force', '--install-extension', abs],
    { env: profileEnv(p), encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' },
  );
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error || r.status !== 0 || !/successfully installed/i.test(out)) {
    const why = r.error ? String(r.error) : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    throw new Error(`installing ${abs} into code-server failed: ${why}\n${out}`);
  }
  log(`installed ${path.basename(abs)} in ${Date.now() - started} ms`);
}

export interface StartOptions {
  /** Profile name (folder under .test-work/profiles/). Default 'default'. */
  profile?: string;
  /** Wipe the profile first. Default true. */
  fresh?: boolean;
  /** .vsix files to install before starting. */
  vsix?: string[];
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** Folder to open when the URL names none. */
  folder?: string;
  /** How long to wait for /healthz. Default 60 s. */
  healthzTimeoutMs?: number;
  extraArgs?: string[];
}

export interface CodeServer {
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Authority for vscode-remote:// URIs, 127.0.0.1:PORT. */
  authority: string;
  profile: Profile;
  logFile: string;
  /** Date.now() when the server was spawned. */
  startedAt: number;
  process: ChildProcess;
  /** Stops code-server and every process it started (its process group). Safe to call twice. */
  stop(): Promise<void>;
}

const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  // Last-resort cleanup so that no code-server outlives this process.
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const d of liveDirs) fs.rmSync(d, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping code-server`);
      process.exit(130);
    });
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Starts code-server on a free 127.0.0.1 port and waits until /healthz answers. */
export async function startCodeServer(opts: StartOptions = {}): Promise<CodeServer> {
  assertInstalled();
  const profile = makeProfile(opts.profile ?? 'default', { fresh: opts.fresh, settings: opts.settings });
  for (const v of opts.vsix ?? []) installVsix(profile, v);

  const port = await freePort();
  const logFile = path.join(profile.dir, 'code-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const args = [
    '--config', profile.configFile,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', profile.userDataDir,
    '--extensions-dir', profile.extensionsDir,
    ...(opts.extraArgs ?? []),
    ...(opts.folder ? [path.resolve(opts.folder)] : []),
  ];
  const started = Date.now();
  const child = spawn(CODE_SERVER_BIN, args, {
    env: profileEnv(profile),
    cwd: profile.home,
    detached: true, // own process group, so stop() can kill the server and all its children
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  const pgid = child.pid;
  if (!pgid) throw new Error(`could not spawn ${CODE_SERVER_BIN}`);
  hookExit();
  liveGroups.add(pgid);
  liveDirs.add(profile.runtimeDir);

  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exit code ${code}${signal ? `, signal ${signal}` : ''}`;
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && groupAlive(pgid)) await sleep(100);
      if (groupAlive(pgid)) {
        log('code-server did not stop within 5 s of SIGTERM: SIGKILL');
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await withTimeout(exitPromise, 5000, 'waiting for code-server to die after SIGKILL').catch((e) => log(String(e)));
      }
      liveGroups.delete(pgid);
      liveDirs.delete(profile.runtimeDir);
      fs.rmSync(profile.runtimeDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const healthzTimeout = opts.healthzTimeoutMs ?? 60_000;
  const deadline = Date.now() + healthzTimeout;
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`code-server exited before answering /healthz (${exited}). Log ${logFile}:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer ${url}/healthz within ${healthzTimeout / 1000} s. Log ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(200);
  }
  log(`code-server up on ${url} in ${Date.now() - started} ms (profile ${profile.dir})`);
  return { port, url, authority: `127.0.0.1:${port}`, profile, logFile, startedAt: started, process: child, stop };
}

// ------------------------------------------------------------------ browser

/** Launches Debian's chromium through playwright-core (headless). */
export async function launchBrowser(opts: { timeoutMs?: number } = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_BIN)) {
    throw new Error(`chromium not found at ${CHROMIUM_BIN}: run 'bash scripts/setup-real-vscode.sh' first`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: opts.timeoutMs ?? 60_000,
    // keep chromium's crash-report database etc. out of the real HOME
    env: { ...process.env, HOME: path.join(WORK, 'chromium-home') },
  });
}

export interface OpenOptions {
  /** Extra query parameters for the workbench URL, e.g. payload. */
  query?: Record<string, string>;
  /** Viewport. Default 1400x900. */
  viewport?: { width: number; height: number };
  /** Wait for .monaco-workbench this long. Default 60 s. */
  timeoutMs?: number;
  /** Called with the new page before navigating (e.g. to exposeFunction or listen to console). */
  beforeNavigate?: (page: Page) => Promise<void> | void;
  /** Print the workbench's console errors to stderr. Default true. */
  logErrors?: boolean;
}

/** URL of the workbench with `folder` open. */
export function workbenchUrl(cs: CodeServer, folder: string | undefined, query: Record<string, string> = {}): string {
  const u = new URL(cs.url + '/');
  if (folder) u.searchParams.set('folder', path.resolve(folder));
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

/** Opens the workbench on `folder` in a new page and waits until it has rendered. */
export async function openWorkbench(browser: Browser, cs: CodeServer, folder: string | undefined, opts: OpenOptions = {}): Promise<Page> {
  if (folder && !fs.existsSync(folder)) throw new Error(`folder to open does not exist: ${folder}`);
  const context: BrowserContext = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  const page = await context.newPage();
  const timeout = opts.timeoutMs ?? 60_000;
  page.setDefaultTimeout(30_000);
  if (opts.logErrors ?? true) {
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
  }
  await opts.beforeNavigate?.(page);
  const started = Date.now();
  await page.goto(workbenchUrl(cs, folder, opts.query), { timeout, waitUntil: 'domcontentloaded' });
  await page
    .locator('.monaco-workbench')
    .waitFor({ state: 'visible', timeout })
    .catch((e: Error) => {
      throw new Error(`the workbench (.monaco-workbench) did not render within ${timeout / 1000} s: ${e.message.split('\n')[0]}`);
    });
  await page
    .locator('.monaco-workbench .part.statusbar')
    .waitFor({ state: 'visible', timeout })
    .catch(() => {
      throw new Error(`the workbench status bar did not appear within ${timeout / 1000} s`);
    });
  log(`workbench rendered in ${Date.now() - started} ms`);
  return page;
}

// ------------------------------------------------------------------ workbench helpers

/**
 * Runs a command from the command palette as a person would: F1, type its title, wait until the
 * focused row is that command, Enter. Retries (Escape, F1 again) until `timeoutMs` while the
 * command is not listed yet (extensions still being scanned).
 */
export async function runCommand(page: Page, title: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const focusedRow = page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused');
  let lastSeen = '';
  let attempts = 0;
  const started = Date.now();
  while (Date.now() < deadline) {
    attempts++;
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const opened = await input.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false);
    if (!opened) {
      if (process.env.E2E_DEBUG) log(`runCommand attempt ${attempts}: palette did not open`);
      continue;
    }
    await input.fill(`>${title}`);
    // The list filters asynchronously: poll the focused row for this exact title. The palette
    // does not refresh when an extension's commands register after it opened, so reopen it.
    const rowDeadline = Math.min(deadline, Date.now() + 2000);
    while (Date.now() < rowDeadline) {
      const label = (await focusedRow.getAttribute('aria-label', { timeout: 500 }).catch(() => null)) ?? '';
      lastSeen = label;
      // aria-label is "<title>" or "<title>, <keybinding>, <similar commands|recently used...>"
      if (label === title || label.startsWith(`${title},`)) {
        await page.keyboard.press('Enter');
        await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
        log(`ran command "${title}" (${attempts} palette attempt(s), ${Date.now() - started} ms)`);
        return;
      }
      await sleep(150);
    }
    if (process.env.E2E_DEBUG) log(`runCommand attempt ${attempts}: opened=${opened} input="${await input.inputValue().catch(() => '?')}" focused row="${lastSeen}"`);
  }
  await page.keyboard.press('Escape').catch(() => {});
  throw new Error(
    `command "${title}" was not found in the command palette within ${timeoutMs / 1000} s` +
      (lastSeen ? ` (focused row was "${lastSeen}")` : ' (no matching row)'),
  );
}

/**
 * The content of a webview: two frames deep (outer iframe.webview, inner #active-frame).
 * Picks the `nth` visible webview (default the first); hidden webviews keep their iframes.
 */
export function webviewFrame(page: Page, opts: { nth?: number } = {}): FrameLocator {
  return page
    .locator('iframe.webview')
    .filter({ visible: true })
    .nth(opts.nth ?? 0)
    .contentFrame()
    .locator('#active-frame')
    .contentFrame();
}

/** Waits until a notification toast containing `text` is shown; returns its full text. */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 15_000): Promise<string> {
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs }).catch(() => {
    throw new Error(`no notification matching ${String(text)} within ${timeoutMs / 1000} s`);
  });
  return (await toast.innerText()).trim();
}

/**
 * Waits until the extension host has activated `extensionId` (publisher.name), read from the
 * remote extension host's log (user-data/logs/<time>/exthost<N>/remoteexthost.log), which logs
 * "ExtensionService#_doActivateExtension <id>, ..." as activation starts and
 * "Activating extension <id> failed due to an error:" when activate() throws (then this throws too).
 * Open the workbench first: the extension host starts with the first window.
 */
export async function waitForExtensionActivation(cs: CodeServer, extensionId: string, timeoutMs = 30_000): Promise<void> {
  const logsRoot = path.join(cs.profile.userDataDir, 'logs');
  const esc = extensionId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const startRe = new RegExp(`_doActivateExtension ${esc},`, 'i');
  const failRe = new RegExp(`Activating extension '?${esc}'? failed`, 'i');
  const readLogs = (): string => {
    let text = '';
    for (const session of fs.existsSync(logsRoot) ? fs.readdirSync(logsRoot) : []) {
      const sessionDir = path.join(logsRoot, session);
      if (!fs.statSync(sessionDir).isDirectory()) continue;
      for (const host of fs.readdirSync(sessionDir)) {
        const f = path.join(sessionDir, host, 'remoteexthost.log');
        if (host.startsWith('exthost') && fs.existsSync(f) && fs.statSync(f).mtimeMs >= cs.startedAt - 1000) {
          text += fs.readFileSync(f, 'utf8');
        }
      }
    }
    return text;
  };
  const checkFailed = (text: string): void => {
    const failed = failRe.exec(text);
    if (failed) {
      const what = text.slice(failed.index, failed.index + 2000).split('\n').slice(0, 3).join(' | ');
      throw new Error(`extension ${extensionId} failed to activate: ${what}`);
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readLogs();
    checkFailed(text);
    if (startRe.test(text)) {
      // activation has started; give activate() a moment to finish (or fail) and register its commands
      await sleep(500);
      checkFailed(readLogs());
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`extension ${extensionId} was not activated within ${timeoutMs / 1000} s (looked in ${logsRoot}/*/exthost*/remoteexthost.log)`);
    }
    await sleep(250);
  }
}

const EXT_HOST = '[Extension Host]';

/**
 * The text of a page console message, printf-formatted like Node's console.log. The extension
 * host's console.log/warn/error reach the page console as
 * ('%c[Extension Host] %c<format>', 'color: blue', 'color: ', ...args); util.format drops the %c
 * CSS arguments. fromExtHost tells those apart from the workbench's own messages, and text has
 * the '[Extension Host] ' prefix removed.
 */
export async function consoleMessageText(msg: ConsoleMessage): Promise<{ fromExtHost: boolean; text: string }> {
  let text: string;
  try {
    const values = await withTimeout(
      Promise.all(msg.args().map((a) => a.jsonValue().catch(() => '[unserializable]'))),
      5000,
      'reading a console message',
    );
    text = values.length ? util.format(...values) : msg.text();
  } catch {
    text = msg.text();
  }
  if (!text.startsWith(EXT_HOST)) return { fromExtHost: false, text };
  text = text.slice(EXT_HOST.length);
  if (text === '%') text = ''; // console.log() with no arguments
  else if (text.startsWith(' ')) text = text.slice(1);
  return { fromExtHost: true, text };
}

/**
 * Calls `onLine` (in order) with each console line the extension host forwards to this page;
 * register before openWorkbench navigates (in beforeNavigate) to catch activation-time logs.
 */
export function onExtensionHostConsole(page: Page, onLine: (text: string, type: string) => void): void {
  let queue: Promise<void> = Promise.resolve();
  page.on('console', (msg) => {
    queue = queue.then(async () => {
      const { fromExtHost, text } = await consoleMessageText(msg);
      if (fromExtHost) onLine(text, msg.type());
    });
  });
}

/** Saves a PNG of the page to .test-work/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '_').replace(/\.png$/, '')}.png`);
  await page.screenshot({ path: file, timeout: 15_000, animations: 'disabled' });
  log(`screenshot ${file}`);
  return file;
}
