// `npm run test:vscode`: the extension in a real VS Code (code-server + chromium), in one command.
//
//   1. npm run package                 production bundles + the .vsix (vsce)
//   2. test/integration/build.mjs      bundle the integration suite
//   3. makeFixtures.ts                 fresh fixture workspace (CIFAR-10 SE .keras, tfjs model.json, chelsea.png)
//   4. runExtensionTests.ts            the integration suite in the real extension host (development folder)
//   5. extension.e2e.ts --vsix         the user's scenario against the INSTALLED .vsix, with screenshots
//
// Every step has a time limit (the whole run stays under 7 minutes) and is killed with its process
// group when it overruns. The last line is "vscode-tests: N passed, M failed" (the tests of steps 4
// and 5, plus one failure per step that failed or could not run); the exit code is 1 on any failure.
// Needs `bash scripts/setup-real-vscode.sh` once (code-server, chromium).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CODE_SERVER_BIN, CHROMIUM_BIN, ROOT, WORK } from './codeServer.js';

// issue 11's UX steps (steps/ux.ts), issue 12's graph view (steps/graphView.ts) and issue 10's
// class-specificity view (steps/specificity.ts) all run in the e2e scenario: 11 minutes in all, the e2e step 480 s
const TOTAL_MS = 660_000;
const started = Date.now();
const WORKSPACE = path.join(WORK, 'ext-test-workspace-se');
const E2E_WORKSPACE = path.join(WORK, 'e2e-se-workspace');

interface StepResult {
  name: string;
  ok: boolean;
  ms: number;
  passed: number;
  failed: number;
  note?: string;
}
const steps: StepResult[] = [];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Runs a command in its own process group, echoing its output; kills the group after `limitMs`
 * (or when the overall budget runs out). Resolves with the exit code (null if killed) and the output.
 */
function run(cmd: string, args: string[], limitMs: number): Promise<{ code: number | null; out: string; timedOut: boolean }> {
  const budget = Math.max(1000, Math.min(limitMs, TOTAL_MS - (Date.now() - started)));
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
      process.stderr.write(d);
    });
    let timedOut = false;
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      say(`\n!! ${cmd} ${args.join(' ')}: still running after ${Math.round(budget / 1000)} s: stopping it`);
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 5000).unref();
    }, budget);
    const onExit = () => kill('SIGKILL');
    process.once('exit', onExit);
    child.on('error', (e) => {
      out += String(e);
      say(`!! cannot run ${cmd}: ${e.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      resolve({ code: timedOut ? null : code, out, timedOut });
    });
  });
}

/** One step: runs, times, and (for test steps) reads "<label>: N passed, M failed" from the output. */
async function step(name: string, cmd: string, args: string[], limitMs: number, summary?: RegExp): Promise<boolean> {
  const remaining = TOTAL_MS - (Date.now() - started);
  if (remaining < 5000) {
    steps.push({ name, ok: false, ms: 0, passed: 0, failed: 1, note: 'not run: the 7-minute budget is used up' });
    return false;
  }
  say(`\n━━ ${name} ━━  (${cmd} ${args.join(' ')}; limit ${Math.round(Math.min(limitMs, remaining) / 1000)} s)`);
  const t0 = Date.now();
  const r = await run(cmd, args, limitMs);
  const ms = Date.now() - t0;
  let passed = 0;
  let failed = 0;
  let note: string | undefined;
  if (summary) {
    const m = [...r.out.matchAll(new RegExp(summary.source, 'g'))].pop();
    if (m) {
      passed = Number(m[1]);
      failed = Number(m[2]);
    } else note = 'no test summary in its output';
  }
  const ok = r.code === 0 && !r.timedOut && failed === 0 && (!summary || (!note && passed > 0));
  if (!ok && failed === 0) failed = 1; // the step itself failed (crash, timeout, no summary)
  if (r.timedOut) note = `timed out after ${Math.round(ms / 1000)} s`;
  else if (r.code !== 0 && !note) note = `exit code ${r.code}`;
  steps.push({ name, ok, ms, passed, failed, note });
  say(`━━ ${name}: ${ok ? 'ok' : 'FAILED'} in ${(ms / 1000).toFixed(1)} s${note ? ` (${note})` : ''}`);
  return ok;
}

function notRun(name: string, why: string): void {
  steps.push({ name, ok: false, ms: 0, passed: 0, failed: 1, note: `not run: ${why}` });
}

async function main(): Promise<number> {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  // scripts/package.mjs packs for this machine's platform by default (vsce names it <name>-<target>-<version>)
  const vsix = path.join(ROOT, `${pkg.name}-${process.platform}-${process.arch}-${pkg.version}.vsix`);
  const tsx = ['--import', 'tsx'];

  const missing = [CODE_SERVER_BIN, CHROMIUM_BIN].filter((f) => !fs.existsSync(f));
  if (missing.length) {
    say(`vscode-tests: ${missing.join(' and ')} missing: run 'bash scripts/setup-real-vscode.sh' first`);
    notRun('real VS Code installed', `missing ${missing.join(', ')}`);
  } else {
    fs.rmSync(vsix, { force: true });
    const packaged = (await step('build and package the .vsix', 'npm', ['run', 'package'], 150_000)) && fs.existsSync(vsix);
    if (packaged) say(`.vsix: ${path.relative(ROOT, vsix)} (${(fs.statSync(vsix).size / 1024 / 1024).toFixed(2)} MB)`);
    const suiteBuilt = packaged && (await step('bundle the integration suite', process.execPath, ['test/integration/build.mjs'], 60_000));
    fs.rmSync(WORKSPACE, { recursive: true, force: true });
    fs.rmSync(E2E_WORKSPACE, { recursive: true, force: true });
    const fixtures = packaged && (await step('make the fixture workspace', process.execPath, [...tsx, 'test/integration/makeFixtures.ts', WORKSPACE], 60_000));

    if (suiteBuilt && fixtures) {
      await step(
        'integration suite in the real extension host',
        process.execPath,
        [...tsx, 'test/e2e/runExtensionTests.ts', '--extensionDevelopmentPath', '.', '--extensionTestsPath', 'out/test/integration/index.js', '--folder', WORKSPACE, '--timeout', '100'],
        120_000,
        /extension-tests: (\d+) passed, (\d+) failed/,
      );
    } else notRun('integration suite in the real extension host', 'an earlier step failed');

    if (packaged) {
      await step('e2e scenario against the installed .vsix', process.execPath, [...tsx, 'test/e2e/extension.e2e.ts', '--vsix', vsix, '--folder', E2E_WORKSPACE, '--timeout', '460'], 480_000, /e2e: (\d+) passed, (\d+) failed/);
    } else notRun('e2e scenario against the installed .vsix', 'no .vsix');
  }

  const passed = steps.reduce((a, s) => a + s.passed, 0);
  const failed = steps.reduce((a, s) => a + s.failed, 0);
  say('\n━━ summary ━━');
  for (const s of steps) {
    const counts = s.passed || s.failed ? ` ${s.passed} passed, ${s.failed} failed` : '';
    say(`  ${s.ok ? '✔' : '✘'} ${s.name} (${(s.ms / 1000).toFixed(1)} s)${counts}${s.note ? ` — ${s.note}` : ''}`);
  }
  say(`  total ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${path.relative(ROOT, path.join(WORK, 'screenshots'))}/se-*.png`);
  say(`vscode-tests: ${passed} passed, ${failed} failed`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    say(`vscode-tests: harness error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    say('vscode-tests: 0 passed, 1 failed');
    process.exit(1);
  },
);
