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
import type { ConsoleMessage } from 'playwright-core';
import { WORK, launchBrowser, log, openWorkbench, screenshot, startCodeServer, withTimeout } from './codeServer.ts';

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

/**
 * Text of a console message as the extension host sent it. Extension-host logs arrive in the
 * page console as `%c[Extension Host] %c<text> %c(at ...)` with CSS arguments; strip those.
 */
function consoleText(msg: ConsoleMessage): { fromExtHost: boolean; text: string } {
  const raw = msg.text();
  const fromExtHost = raw.includes('[Extension Host]');
  let text = raw.replace(/%c/g, '');
  if (fromExtHost) {
    text = text.replace(/^\s*\[Extension Host\]\s?/, '');
    // drop the trailing CSS arguments playwright appends to the text (e.g. "color: blue")
    text = text.replace(/\s+(?:color|font-weight|background)[^\n]*$/, '');
  }
  return { fromExtHost, text };
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
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(args.extensionDevelopmentPath)],
      ['extensionTestsPath', remote(args.extensionTestsPath)],
    ]);

    let resolveExit!: (code: number) => void;
    const exitCode = new Promise<number>((r) => (resolveExit = r));
    const page = await openWorkbench(browser, cs, folder, {
      query: { payload },
      beforeNavigate: async (p) => {
        await p.exposeFunction('codeAutomationExit', (code: unknown) => {
          resolveExit(typeof code === 'number' ? code : Number(code) || 0);
        });
        p.on('console', (msg) => {
          const { fromExtHost, text } = consoleText(msg);
          if (fromExtHost) process.stdout.write(`${text}\n`);
          else if (args.verbose) process.stderr.write(`[workbench ${msg.type()}] ${text}\n`);
        });
      },
    });
    const elapsed = Date.now() - started;
    const code = await withTimeout(
      exitCode,
      Math.max(1000, args.timeoutSec * 1000 - elapsed),
      `the extension tests did not finish (window.codeAutomationExit was not called) within ${args.timeoutSec} s`,
    ).catch(async (e: Error) => {
      log(e.message);
      await screenshot(page, 'extension-tests-timeout').catch(() => {});
      return 1;
    });
    log(`extension tests finished with exit code ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  } finally {
    await browser?.close().catch(() => {});
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
