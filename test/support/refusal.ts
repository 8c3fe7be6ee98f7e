/** The one-line InspectorError a user reads when `path` is opened and analysed; fails the test if it is read. */
import assert from 'node:assert/strict';
import { analyze } from '../../src/analysis/report.js';
import { openModel } from '../../src/formats/index.js';
import { InspectorError } from '../../src/util/errors.js';

export async function refusal(path: string): Promise<string> {
  try {
    analyze(await openModel(path));
  } catch (e) {
    assert.ok(e instanceof InspectorError, String(e));
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return e.message;
  }
  assert.fail(`${path} was read and counted`);
}
