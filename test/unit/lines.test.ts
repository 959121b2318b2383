/** Line blocks: joined lines, and their regrouping into write requests of an exact size. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinLines, type LineBlock, linesIn, regroup, splitLines } from '../../src/convert/lines.js';

const line = (i: number) => `cpu,host=h${i} value=${i} ${1000 + i}`;
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i));

/** Blocks of the given sizes over consecutive lines. */
function blocks(sizes: number[]): LineBlock[] {
  let next = 0;
  return sizes.map((n) => {
    const block = joinLines(lines(next, n));
    next += n;
    return block;
  });
}

test('a block splits back into exactly its lines', () => {
  const block = joinLines(['a b=1 1', 'c d="x\\ny" 2']); // an escaped newline is not a line break
  assert.deepEqual(block, { text: 'a b=1 1\nc d="x\\ny" 2', count: 2 });
  assert.deepEqual(splitLines(block), ['a b=1 1', 'c d="x\\ny" 2']);
});

test('regroup: every line once, in order, in requests of at most size lines, blocks cut only when larger', () => {
  // block sizes, request size, the sizes of the requests expected
  const cases: [number[], number, number[]][] = [
    [[25], 10, [10, 10, 5]],
    [[3, 3, 3, 3], 4, [3, 3, 3, 3]],
    [[4, 4], 4, [4, 4]],
    [[1, 1, 1], 1, [1, 1, 1]],
    [[7], 7, [7]],
    [[2, 9, 1, 30, 5], 8, [2, 8, 2, 8, 8, 8, 6, 5]],
    [[3, 3, 3], 10, [9]],
    [[5], 100, [5]],
  ];
  for (const [sizes, size, expected] of cases) {
    const input = blocks(sizes);
    const out = [...regroup(input, size)];
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.deepEqual(out.flatMap(splitLines), lines(0, total), `${sizes} by ${size}: lines`);
    assert.equal(linesIn(out), total);
    assert.deepEqual(out.map((r) => r.count), expected, `${sizes} by ${size}: requests`);
    for (const [i, r] of out.entries()) assert.equal(splitLines(r).length, r.count, `${sizes} by ${size}: count of request ${i}`);
  }
});

test('regroup: a block that fits is passed on as it is, not copied', () => {
  const [one] = blocks([6]);
  const out = [...regroup([one], 10)];
  assert.equal(out.length, 1);
  assert.equal(out[0], one);
});

test('regroup: nothing in, nothing out', () => {
  assert.deepEqual([...regroup([], 5)], []);
});
