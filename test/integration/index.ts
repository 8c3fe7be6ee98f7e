// Entry of the integration suite: runs in the real extension host (code-server), loaded by
// test/e2e/runExtensionTests.ts through `run()`. Bundled by test/integration/build.mjs.
import Mocha from 'mocha';
import { suite } from './extension.test.js';
import { uxSuite } from './ux.test.js';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'extension.test', mocha);
  suite();
  uxSuite();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} integration tests failed`)) : resolve()));
  });
}
