import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secondsToMs } from '../../src/units.js';

test('secondsToMs: whole milliseconds, rounded', () => {
  assert.equal(secondsToMs(0), 0);
  assert.equal(secondsToMs(1), 1000);
  assert.equal(secondsToMs(0.5), 500);
  assert.equal(secondsToMs(30), 30_000);
  assert.equal(secondsToMs(0.001), 1);
  // 1.005 * 1000 is 1004.9999999999999 in floating point: rounded
  assert.equal(secondsToMs(1.005), 1005);
  assert.equal(secondsToMs(0.0004), 0);
  assert.equal(secondsToMs(0.0005), 1);
  assert.ok(Number.isInteger(secondsToMs(0.1 + 0.2)));
});
