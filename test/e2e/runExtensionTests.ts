// Runs an extension test suite (mocha-style: a folder or file whose index exports `run()`)
// inside code-server's real extension host, as @vscode/test-electron does with a desktop VS Code.
//
//   node --import tsx test/e2e/runExtensionTests.ts \
//     --extensionDevelopmentPath . --extensionTestsPath out/test/suite [--folder path] [--timeout 300] [--verbose]
//
// The workbench is opened with the payload extensionDevelopmentPath + extensionTestsPath; the
// extension host calls `run()`, and when it settles the workbench calls
// window.codeAutomationExit(code). The suite's console output (forwarded from the extension host
// to the page console) is printed to stdout; the process exits with the suite's exit code
// (1 on any harness failure or timeout).

import fs from 'node:fs';
import path from 'node:path';
import { WORK, consoleMessageText, launchBrowser, log, openWorkbench, screenshot, startCodeServer, withTimeout } from './codeServer.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Args {
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  folder?: string;
  timeoutSec: number;
  verbose: boolean;
  profile: string;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`runExtensionTests: ${msg}\n`);
  process.stderr.write(
    'usage: node --import tsx test/e2e/runExtensionTests.ts --extensionDevelopmentPath DIR --extensionTestsPath PATH\n' +
      '         [--folder DIR] [--timeout SECONDS (default 300)] [--profile NAME] [--verbose]\n' +
      '       (or the two paths as positional arguments)\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const named: Record<string, string> = {};
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--verbose' || a === '-v') verbose = true;
    else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) named[a.slice(2, eq)] = a.slice(eq + 1);
      else {
        const v = argv[++i];
        if (v === undefined) usage(`${a} needs a value`);
        named[a.slice(2)] = v;
      }
    } else positional.push(a);
  }
  const dev = named.extensionDevelopmentPath ?? positional[0];
  const tests = named.extensionTestsPath ?? positional[1];
  if (!dev || !tests) usage('both extensionDevelopmentPath and extensionTestsPath are required');
  const timeoutSec = Number(named.timeout ?? 300);
  if (!(timeoutSec > 0)) usage(`bad --timeout ${named.timeout}`);
  const args: Args = {
    extensionDevelopmentPath: path.resolve(dev),
    extensionTestsPath: path.resolve(tests),
    folder: named.folder ? path.resolve(named.folder) : undefined,
    timeoutSec,
    verbose,
    profile: named.profile ?? 'extension-tests',
  };
  if (!fs.existsSync(path.join(args.extensionDevelopmentPath, 'package.json'))) {
    usage(`no package.json in extensionDevelopmentPath ${args.extensionDevelopmentPath}`);
  }
  const t = args.extensionTestsPath;
  if (!fs.existsSync(t) && !fs.existsSync(`${t}.js`)) usage(`extensionTestsPath ${t} does not exist (compile the tests first)`);
  if (fs.existsSync(t) && fs.statSync(t).isDirectory() && !fs.existsSync(path.join(t, 'index.js'))) {
    usage(`extensionTestsPath ${t} is a folder without index.js`);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const folder = args.folder ?? path.join(WORK, 'ext-test-workspace');
  fs.mkdirSync(folder, { recursive: true });

  const cs = await startCodeServer({ profile: args.profile });
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  try {
    browser = await launchBrowser();
    const remote = (p: string) => `vscode-remote://${cs.authority}${p}`;
    // debugId: without it the workbench treats this as a CLI test run and sends the extension
    // host's console to its log service, where it cannot be told apart from the workbench's own
    // INFO lines. With it, each line arrives in the page console as '[Extension Host] ...'.
    // It only names the (absent) debug session; no debugger is attached and the exit code still
    // reaches codeAutomationExit.
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(args.extensionDevelopmentPath)],
      ['extensionTestsPath', remote(args.extensionTestsPath)],
      ['debugId', 'se-inspector-e2e'],
    ]);

    let resolveExit!: (code: number) => void;
    const exitCode = new Promise<number>((r) => (resolveExit = r));
    // console messages are formatted asynchronously: print them in order through one queue
    let printing: Promise<void> = Promise.resolve();
    const counts: { passing?: number; failing?: number; pending?: number } = {};
    const logsDir = path.join(cs.profile.dir, 'workbench-logs');
    const page = await openWorkbench(browser, cs, folder, {
      query: { payload },
      beforeNavigate: async (p) => {
        // codeAutomationExit(code, logs): logs are the workbench's log files, kept for debugging
        await p.exposeFunction('codeAutomationExit', (code: unknown, logs: unknown) => {
          try {
            for (const l of Array.isArray(logs) ? logs : []) {
              const rel = String(l?.relativePath ?? '');
              if (!rel || rel.includes('..')) continue;
              fs.mkdirSync(path.dirname(path.join(logsDir, rel)), { recursive: true });
              fs.writeFileSync(path.join(logsDir, rel), String(l?.contents ?? ''));
            }
          } catch {
            /* logs are only a convenience */
          }
          resolveExit(typeof code === 'number' ? code : Number(code) || 0);
        });
        p.on('console', (msg) => {
          printing = printing.then(async () => {
            const { fromExtHost, text } = await consoleMessageText(msg);
            if (fromExtHost) {
              process.stdout.write(`${text}\n`);
              const m = /^\s*(\d+) (passing|failing|pending)\b/.exec(text);
              if (m) counts[m[2] as keyof typeof counts] = Number(m[1]);
            }
            else if (args.verbose) process.stderr.write(`[workbench ${msg.type()}] ${text}\n`);
          });
        });
      },
    });
    const remaining = Math.max(1000, args.timeoutSec * 1000 - (Date.now() - started));
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exitCode,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), remaining))),
    ]).finally(() => clearTimeout(timer));
    // let the last console messages arrive and print before reporting
    await sleep(300);
    await withTimeout(printing, 10_000, 'printing the console output').catch((e: Error) => log(e.message));
    if (code === 'timeout') {
      log(`ERROR: the extension tests did not finish within --timeout ${args.timeoutSec} s (window.codeAutomationExit was never called)`);
      await screenshot(page, 'extension-tests-timeout').catch(() => {});
      return 1;
    }
    if (fs.existsSync(logsDir)) log(`workbench logs: ${logsDir}`);
    // mocha's "N passing" / "N failing" are not a summary CI recognises: add the plain closing line
    if (counts.passing !== undefined || counts.failing !== undefined) {
      const skipped = counts.pending ? `, ${counts.pending} skipped` : '';
      process.stdout.write(`extension-tests: ${counts.passing ?? 0} passed, ${counts.failing ?? 0} failed${skipped}\n`);
      if (code === 0 && !counts.passing) log('warning: the suite exited 0 but ran no passing test');
    }
    log(`extension tests finished with exit code ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  } finally {
    if (browser) await withTimeout(browser.close(), 15_000, 'closing chromium').catch((e: Error) => log(e.message));
    await cs.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`runExtensionTests failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
