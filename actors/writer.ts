/**
 * The writer actor: gathers converted batches and writes them to InfluxDB when `batch_size`
 * messages are pending or `max_wait_time_seconds` after the first of them, one write at a time,
 * then reports the stored offsets. A write that fails for a passing reason is tried again after a
 * backoff, up to `write_attempts` times; then (or at once, for credentials refused) the writer
 * fails: it ends in `failed`, its output holding the error and every batch it could not store, and
 * its supervisor decides what next. A writer started with `carryOver` writes those batches first.
 */
import { assign, fromPromise, sendParent, setup } from 'xstate';
import { backoffDelay } from '../src/backoff.js';
import { PendingBatch } from '../src/convert/index.js';
import type { StoreReport } from '../src/influx/store.js';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import type { BatchStored, WriterEvent } from './events.js';

/** Where batches go; the real one is src/influx/store.ts's PointStore. */
export interface BatchStore {
  store(lines: ReadonlyMap<string, readonly string[]>, signal?: AbortSignal): Promise<StoreReport>;
}

export interface WriteRetry {
  /** Attempts of one write before the writer fails. */
  attempts: number;
  initialMs: number;
  maxMs: number;
}

export interface WriterInput {
  store: BatchStore;
  /** Messages that make a batch full. */
  batchSize: number;
  /** How long the first message of a partial batch waits before it is written anyway. */
  maxWaitMs: number;
  retry: WriteRetry;
  /** What a failed predecessor could not store: written first. */
  carryOver?: PendingBatch;
  log: Logger;
  stats: TopicStats;
  /** Jitter source (tests make it fixed). */
  random?: () => number;
}

export interface WriterOutput {
  error: unknown;
  /** Batches not stored: nothing of them was committed. */
  unstored: PendingBatch;
}

interface WriterContext extends WriterInput {
  pending: PendingBatch;
  writing: PendingBatch;
  /** Stopping: write every batch as soon as it comes. */
  flushing: boolean;
  /** Failed attempts of the current write. */
  failures: number;
  error?: unknown;
}

/** Whether a store failure may pass: only errors that say so (InfluxError.retriable). */
function retriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}

export const writerMachine = setup({
  types: {
    context: {} as WriterContext,
    input: {} as WriterInput,
    events: {} as WriterEvent,
    output: {} as WriterOutput,
  },
  actors: {
    storeBatch: fromPromise<StoreReport, { store: BatchStore; batch: PendingBatch }>(({ input, signal }) =>
      input.store.store(input.batch.lines, signal),
    ),
  },
  delays: {
    maxWait: ({ context }) => context.maxWaitMs,
    retryDelay: ({ context }) =>
      backoffDelay(context.failures, { initialMs: context.retry.initialMs, maxMs: context.retry.maxMs }, context.random),
  },
  guards: {
    hasPending: ({ context }) => context.pending.messageCount > 0,
    // A failed writer's batches are written at once; when stopping, every batch is.
    batchReady: ({ context }) =>
      context.pending.messageCount > 0 &&
      (context.flushing || context.carryOver !== undefined || context.pending.messageCount >= context.batchSize),
    mayRetry: ({ context, event }) =>
      retriable((event as { error?: unknown }).error) && context.failures + 1 < context.retry.attempts,
  },
  actions: {
    gather: ({ context, event }) => {
      if (event.type === 'BATCH_CONVERTED') context.pending.add(event.batch);
    },
    hurry: assign({ flushing: true }),
    takePending: assign(({ context }) => ({
      writing: context.pending,
      pending: new PendingBatch(),
      failures: 0,
      carryOver: undefined,
    })),
    noteFailure: assign(({ context, event }) => {
      const error = (event as { error?: unknown }).error;
      const failures = context.failures + 1;
      context.log.warn(
        { attempt: failures, of: context.retry.attempts, messages: context.writing.messageCount, err: error instanceof Error ? error.message : String(error) },
        'InfluxDB write failed',
      );
      return { failures, error };
    }),
    countStored: ({ context, event }) => {
      const report = (event as unknown as { output: StoreReport }).output;
      context.stats.stored += report.stored;
      context.stats.refused += report.refused;
      context.stats.writes++;
      context.log.debug({ messages: context.writing.messageCount, ...report }, 'batch stored');
    },
    reportStored: sendParent(({ context }): BatchStored => ({
      type: 'BATCH_STORED',
      offsets: [...context.writing.nextOffsets].map(([partition, offset]) => ({ partition, offset })),
      messageCount: context.writing.messageCount,
    })),
  },
}).createMachine({
  id: 'writer',
  context: ({ input }) => {
    const pending = new PendingBatch();
    if (input.carryOver) pending.absorb(input.carryOver);
    return { ...input, pending, writing: new PendingBatch(), flushing: false, failures: 0 };
  },
  initial: 'idle',
  on: {
    BATCH_CONVERTED: { actions: 'gather' },
    FLUSH: { actions: 'hurry' },
  },
  states: {
    idle: {
      always: [
        { guard: 'batchReady', target: 'writing' },
        { guard: 'hasPending', target: 'collecting' },
      ],
    },
    collecting: {
      always: { guard: 'batchReady', target: 'writing' },
      after: { maxWait: 'writing' },
    },
    writing: {
      entry: 'takePending',
      initial: 'attempting',
      states: {
        attempting: {
          invoke: {
            src: 'storeBatch',
            input: ({ context }) => ({ store: context.store, batch: context.writing }),
            onDone: { target: '#writer.idle', actions: ['countStored', 'reportStored'] },
            onError: [
              { guard: 'mayRetry', target: 'backingOff', actions: 'noteFailure' },
              { target: '#writer.failed', actions: 'noteFailure' },
            ],
          },
        },
        backingOff: {
          after: { retryDelay: 'attempting' },
        },
      },
    },
    failed: { type: 'final' },
  },
  output: ({ context }) => {
    const unstored = new PendingBatch();
    unstored.absorb(context.writing);
    unstored.absorb(context.pending);
    return { error: context.error, unstored };
  },
});
