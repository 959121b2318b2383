/** WriteBuffer: what one store call writes, and what it commits once stored. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ConvertedBatch, joinLines, type LineBlock, linesIn, splitLines } from '../../src/convert/index.js';
import { messagesIn, WriteBuffer } from '../../src/write-buffer.js';

function converted(partition: number, nextOffset: string, lines: [string, string[]][], messageCount: number): ConvertedBatch {
  return { partition, nextOffset, messageCount, lines: new Map(lines.map(([db, l]) => [db, joinLines(l)])), drops: [] };
}

const points = (b: WriteBuffer) => linesIn([...b.lines.values()].flat());
/** A database's lines, over its blocks. */
const linesOf = (blocks: readonly LineBlock[] | undefined) => (blocks ?? []).flatMap(splitLines);

test('lines joined per database in the order of the batches; messages counted', () => {
  const batches = [
    converted(0, '5', [['mon_a', ['a1', 'a2']], ['mon_b', ['b1']]], 4),
    converted(1, '100', [['mon_b', ['b2']], ['mon_c', ['c1']]], 2),
    converted(0, '7', [['mon_a', ['a3']]], 3),
  ];
  const b = new WriteBuffer(batches);
  assert.deepEqual(
    [...b.lines].map(([db, blocks]) => [db, linesOf(blocks)]),
    [
      ['mon_a', ['a1', 'a2', 'a3']],
      ['mon_b', ['b1', 'b2']],
      ['mon_c', ['c1']],
    ],
  );
  assert.equal(b.messageCount, 9);
  assert.equal(messagesIn(batches), 9);
  assert.equal(points(b), 6);
  assert.equal(b.batches, batches);
});

test('the batches it is made of are left as they were', () => {
  const first = converted(0, '2', [['mon', ['a1', 'a2']]], 2);
  const second = converted(0, '4', [['mon', ['a3', 'a4']]], 2);
  const b = new WriteBuffer([first, second]);
  assert.deepEqual(linesOf(b.lines.get('mon')), ['a1', 'a2', 'a3', 'a4']);
  assert.deepEqual(first.lines.get('mon'), { text: 'a1\na2', count: 2 }, 'the first batch’s block is not appended to');
  assert.deepEqual(second.lines.get('mon'), { text: 'a3\na4', count: 2 });
  new WriteBuffer([first, converted(0, '6', [['mon', ['a5']]], 1)]);
  assert.deepEqual(first.lines.get('mon'), { text: 'a1\na2', count: 2 }, 'nor by a second buffer over the same batch');
});

test('keeps the highest next offset per partition', () => {
  const b = new WriteBuffer([
    converted(0, '9', [], 1),
    converted(1, '50', [], 1),
    converted(0, '10', [], 1), // numerically higher, though '10' < '9' as text
    converted(1, '40', [], 1), // lower: ignored
  ]);
  assert.deepEqual([...b.offsets].sort((x, y) => x.partition - y.partition), [
    { partition: 0, offset: '10' },
    { partition: 1, offset: '50' },
  ]);
});

test('compares offsets beyond 2^53 exactly', () => {
  const b = new WriteBuffer([converted(0, '9007199254740995', [], 1), converted(0, '9007199254740994', [], 1)]);
  assert.deepEqual(b.offsets, [{ partition: 0, offset: '9007199254740995' }]);
});

test('empty: nothing to write or commit', () => {
  const b = new WriteBuffer([]);
  assert.equal(b.messageCount, 0);
  assert.equal(b.lines.size, 0);
  assert.deepEqual(b.offsets, []);
});
