/** The fix to kafkajs's RequestQueue timer (src/kafka/request-queue.ts), on kafkajs's own class. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installRequestQueueFix, requestQueueClass } from '../../src/kafka/request-queue.js';

type Queue = {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  push(request: unknown): void;
  destroy(): void;
};
const RequestQueue = requestQueueClass() as unknown as { new (options: object): Queue; prototype: Queue };
const original = RequestQueue.prototype.scheduleCheckPendingRequests;
const logger = { debug() {}, info() {}, warn() {}, error() {} };
const queue = () => new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 't', broker: 'b:9092', logger });
const request = (correlationId: number, onSend: () => void) => ({
  entry: { apiKey: 1, apiName: 'Fetch', apiVersion: 11, correlationId, resolve() {}, reject() {} },
  expectResponse: true,
  sendRequest: onSend,
});

test('unfixed, kafkajs arms a timer with nothing pending (the bug the fix is for)', () => {
  const q = queue();
  original.call(q);
  assert.notEqual(q.throttleCheckTimeoutId, null);
  q.destroy();
});

test('fixed: no timer while nothing is pending; a throttled request is sent when the throttle ends', async () => {
  installRequestQueueFix();
  const q = queue();
  q.checkPendingRequests();
  assert.equal(q.throttleCheckTimeoutId, null, 'no timer with nothing pending');

  q.throttledUntil = Date.now() + 50;
  let sent = 0;
  q.push(request(1, () => sent++));
  assert.equal(sent, 0, 'throttled: held back');
  assert.equal(q.pending.length, 1);
  assert.notEqual(q.throttleCheckTimeoutId, null, 'a timer for the end of the throttle');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(sent, 1, 'sent once the throttle ended');
  assert.equal(q.pending.length, 0);
  assert.equal(q.throttleCheckTimeoutId, null, 'and no timer once nothing is pending');
  q.destroy();
});

test('fixed: a request waiting for room (in-flight limit) is sent once the queue checks again', async () => {
  const q = queue();
  let sent = 0;
  q.push(request(1, () => sent++));
  q.push(request(2, () => sent++)); // maxInFlightRequests 1: waits
  assert.equal(sent, 1);
  assert.notEqual(q.throttleCheckTimeoutId, null, 'rechecked every 10 ms while waiting');
  (q as unknown as { inflight: Map<number, unknown> }).inflight.clear(); // the first one answered
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(sent, 2);
  q.destroy();
});
