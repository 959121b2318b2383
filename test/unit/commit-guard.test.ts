/** CommitGuard: commits never move a partition backwards, across rebalances. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommitGuard } from '../../src/kafka/commit-guard.js';

const at = (partition: number, offset: number) => ({ partition, offset: String(offset) });

test('in one assignment, commits only move forward', () => {
  const g = new CommitGuard();
  g.assign([0, 1]);
  g.fetched(0, '100');
  g.fetched(1, '0');
  assert.deepEqual(g.admit([at(0, 150), at(1, 10)]), [at(0, 150), at(1, 10)]);
  g.committed([at(0, 150), at(1, 10)]);
  assert.deepEqual(g.admit([at(0, 140), at(1, 20)]), [at(1, 20)], 'an offset behind the last commit is not committed');
});

test('a partition not assigned now, or not fetched yet in this assignment, is not committed', () => {
  const g = new CommitGuard();
  g.assign([0]);
  assert.deepEqual(g.admit([at(0, 10)]), [], 'nothing fetched yet in this assignment');
  g.fetched(0, '0');
  assert.deepEqual(g.admit([at(0, 10), at(3, 10)]), [at(0, 10)]);
});

test('a batch fetched before a rebalance and stored after it cannot take the group backwards', () => {
  const g = new CommitGuard();
  g.assign([0]);
  g.fetched(0, '100'); // this member reads 100.. and a batch of 100-199 is being written
  g.assign([]); // partition 0 goes to another member, which commits up to 5000
  assert.deepEqual(g.admit([at(0, 200)]), [], 'not ours any more');
  g.assign([0]); // and comes back: fetching restarts where the group stands
  g.fetched(0, '5000');
  assert.deepEqual(g.admit([at(0, 200)]), [], 'the late commit would move 5000 back to 200');
  assert.deepEqual(g.admit([at(0, 5100)]), [at(0, 5100)]);
});
