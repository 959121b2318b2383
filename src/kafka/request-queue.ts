/**
 * A fix to kafkajs 2.2.4 (its last release), installed like the codecs: into its classes, once.
 *
 * Each broker connection has a RequestQueue. Its scheduleCheckPendingRequests() arms a timer after
 * every check, pending requests or not, with the delay `throttledUntil - now`; throttledUntil is
 * -1 unless the broker throttled us, so the delay is hugely negative and Node.js makes it 1 ms (Node
 * 24 and later also warn TimeoutNegativeWarning). The timer's callback checks again, which arms it
 * again: every connection wakes the process about a thousand times a second for as long as it is
 * open. Measured: an idle kafkajs consumer took 1.12 s of CPU per 10 s, 0.46 s with this fix; the
 * idle daemon 0.80 s, 0.57 s; on a drain the difference is within the noise (bench/README.md "Levers").
 *
 * The replacement arms the timer only while requests are pending, at the same times as before:
 * the end of a throttle, or kafkajs's 10 ms interval when the queue is full of requests in flight
 * (a response also checks the queue, as before).
 */
import { createRequire } from 'node:module';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's interval between checks while requests wait for room (CHECK_PENDING_REQUESTS_INTERVAL). */
const RECHECK_MS = 10;

let installed = false;

/** The RequestQueue class of the kafkajs this process loads (a module of its own, without types). */
export function requestQueueClass(): { prototype: RequestQueue } {
  const require = createRequire(import.meta.url);
  return require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
}

export function installRequestQueueFix(): void {
  if (installed) return;
  installed = true;
  const { prototype } = requestQueueClass();
  if (typeof prototype.scheduleCheckPendingRequests !== 'function' || typeof prototype.checkPendingRequests !== 'function') {
    throw new Error('kafkajs RequestQueue is not the one this fix was written for (scheduleCheckPendingRequests is missing)');
  }
  prototype.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const throttled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, throttled > 0 ? throttled : RECHECK_MS);
  };
}
