/** Drop logging that survives a flood (src/observe/drop-log.ts), with a recorded log and a set clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from 'pino';
import { DropLog } from '../../src/observe/drop-log.js';

function recorder() {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  const log = { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) } as unknown as Logger;
  return { log, lines };
}

test('per kind and window: the first drops in full, the rest counted and summed up at the end of the window or at close', () => {
  let now = 0;
  const { log, lines } = recorder();
  const drops = new DropLog(log, { perWindow: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 10; i++) drops.dropped('not_json', { offset: String(i) }, 'message dropped');
  drops.dropped('empty', { offset: '99' }, 'message dropped');
  const full = lines.filter((l) => l.msg === 'message dropped');
  assert.deepEqual(full.map((l) => [l.fields.kind, l.fields.offset]), [['not_json', '0'], ['not_json', '1'], ['not_json', '2'], ['empty', '99']], 'each kind has its own allowance');
  assert.equal(lines.filter((l) => /only counted/.test(l.msg)).length, 1, 'told once that the next ones are only counted');

  now = 61_000; // the window ended: the next drop first sums the last window up
  drops.dropped('not_json', { offset: '10' }, 'message dropped');
  const summary = lines.find((l) => /not logged one by one/.test(l.msg));
  assert.deepEqual(summary?.fields, { kind: 'not_json', notLogged: 7, windowSeconds: 60 });
  assert.equal(lines.at(-1)?.fields.offset, '10', 'a new window: logged in full again');

  for (let i = 0; i < 5; i++) drops.dropped('not_json', { offset: String(11 + i) }, 'message dropped');
  drops.close();
  const summaries = lines.filter((l) => /not logged one by one/.test(l.msg)).map((l) => l.fields.notLogged);
  assert.deepEqual(summaries, [7, 3], 'at close, what was not logged since');
  const loggedOrCounted = lines.filter((l) => l.msg === 'message dropped').length + summaries.reduce((a, b) => Number(a) + Number(b), 0);
  assert.equal(loggedOrCounted, 17, 'every drop is either logged or counted in a summary');
});
