/**
 * The writer actor: gathers converted batches and writes them to the database when `batchSize`
 * messages are pending or `maxWaitMs` after the first of them, one write at a time, then reports
 * the stored offsets. With a dead-letter topic, a write is done only once what the converter
 * dropped and what InfluxDB refused of it are posted there too; a post that fails is tried again
 * like a write (without writing the lines again). After FLUSH (the pipeline is stopping) every
 * batch is written as soon as it comes. A write that fails for a transient reason is tried again
 * after a backoff, up to `retry.attempts` times (an unreachable InfluxDB not while flushing); then,
 * or at once for any other fault, the writer ends in `failed`, its output holding the error and
 * every batch it could not store, and its pipeline decides what next. A writer started with
 * `carryOver` writes those batches first, at once.
 *
 * States: `active` (parallel: `mode` batching | flushing; `work` starting | idle | collecting |
 * writing.attempting | writing.failedAttempt | writing.backingOff), final `failed`.
 */
import { and, assign, fromPromise, not, or, sendParent, setup, stateIn } from 'xstate';
import { backoffDelay } from '../src/backoff.js';
import type { ConvertedBatch } from '../src/convert/index.js';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import { Fault, faultOf, messageOf } from '../src/ports/faults.js';
import type { DeadLetterOffice } from '../src/dead-letter.js';
import type { BatchStore, StoreReport } from '../src/ports/store.js';
import { messagesIn, WriteBuffer } from '../src/write-buffer.js';
import type { BatchStored, WriterEvent } from './events.js';

export interface WriteRetry {
  /** Attempts of one write before the writer fails. */
  attempts: number;
  initialMs: number;
  maxMs: number;
}

export interface WriterSettings {
  store: BatchStore;
  /** Messages that make a batch full. */
  batchSize: number;
  /** How long the first message of a partial batch waits before it is written anyway. */
  maxWaitMs: number;
  retry: WriteRetry;
  /** Where what is dropped or refused goes before it is committed ([dead_letter]); none: only logged and counted. */
  deadLetters?: DeadLetterOffice;
}

export interface WriterInput extends WriterSettings {
  /** What a failed predecessor could not store: written first. */
  carryOver: readonly ConvertedBatch[];
  log: Logger;
  stats: TopicStats;
  /** Jitter source (tests make it fixed). */
  random?: () => number;
}

/** What the `storeBatch` actor is given: one write. */
export interface StoreInput {
  store: BatchStore;
  buffer: WriteBuffer;
  deadLetters?: DeadLetterOffice;
}

/** One write done: what the store reported, and the dead letters posted. */
export interface WriteResult extends StoreReport {
  deadLettered: number;
}

export interface WriterOutput {
  error: unknown;
  /** Batches not stored: nothing of them was committed. */
  unstored: readonly ConvertedBatch[];
}

interface WriterContext extends Omit<WriterInput, 'carryOver'> {
  pending: readonly ConvertedBatch[];
  /** The write in progress. */
  writing?: WriteBuffer;
  /** Failed attempts of the current write. */
  failures: number;
  /** When the current attempt began (performance.now()). */
  attemptStartedAt: number;
  error?: unknown;
}

export const writerMachine = setup({
  types: {
    context: {} as WriterContext,
    input: {} as WriterInput,
    events: {} as WriterEvent,
    output: {} as WriterOutput,
  },
  actors: {
    storeBatch: fromPromise<WriteResult, StoreInput>(async ({ input: { store, buffer, deadLetters }, signal }) => {
      // Another attempt after the lines were stored (the dead-letter topic failed) only posts again.
      buffer.report ??= await store.store(buffer.lines, signal);
      const deadLettered = deadLetters ? await deadLetters.post(buffer.batches, buffer.report) : 0;
      return { ...buffer.report, deadLettered };
    }),
  },
  delays: {
    maxWait: ({ context }) => context.maxWaitMs,
    retryDelay: ({ context }) =>
      backoffDelay(context.failures, { initialMs: context.retry.initialMs, maxMs: context.retry.maxMs }, context.random),
  },
  guards: {
    hasPending: ({ context }) => context.pending.length > 0,
    isFull: ({ context }) => messagesIn(context.pending) >= context.batchSize,
    isFlushing: stateIn('#writer.active.mode.flushing'),
    /** A passing fault is retried while attempts are left; while flushing, not when InfluxDB cannot be reached at all. */
    mayRetry: ({ context }) => context.failures < context.retry.attempts && faultOf(context.error) === Fault.TRANSIENT,
    mayRetryUnreachable: ({ context }) => context.failures < context.retry.attempts && faultOf(context.error) === Fault.UNREACHABLE,
  },
  actions: {
    gather: assign({ pending: ({ context }, params: { batch: ConvertedBatch }) => [...context.pending, params.batch] }),
    takePending: assign(({ context }) => ({ writing: new WriteBuffer(context.pending), pending: [], failures: 0 })),
    noteFailure: assign({ failures: ({ context }) => context.failures + 1, error: (_, params: { error: unknown }) => params.error }),
    logFailure: ({ context }, params: { error: unknown }) => {
      // A configuration fault is told once, with what to fix, by the supervisor.
      if (faultOf(params.error) === Fault.CONFIGURATION) return;
      context.log.warn(
        { attempt: context.failures, of: context.retry.attempts, messages: context.writing?.messageCount, err: messageOf(params.error) },
        // Its lines stored, what failed was posting its dead letters.
        context.writing?.report ? 'dead letters not acknowledged by Kafka' : 'InfluxDB write failed',
      );
    },
    startAttempt: assign({ attemptStartedAt: () => performance.now() }),
    countStored: ({ context }, report: WriteResult) => {
      context.stats.add({ stored: report.stored, refused: report.refused, deadLettered: report.deadLettered, writes: 1 });
      context.stats.wrote({ seconds: (performance.now() - context.attemptStartedAt) / 1000, messages: context.writing?.messageCount ?? 0 });
      context.log.debug({ messages: context.writing?.messageCount, stored: report.stored, refused: report.refused, deadLettered: report.deadLettered }, 'batch stored');
    },
    reportStored: sendParent(({ context }): BatchStored => ({
      type: 'BATCH_STORED',
      offsets: context.writing!.offsets,
      messageCount: context.writing!.messageCount,
    })),
  },
}).createMachine({
  id: 'writer',
  context: ({ input: { carryOver, ...rest } }) => ({ ...rest, pending: carryOver, failures: 0, attemptStartedAt: 0 }),
  initial: 'active',
  states: {
    active: {
      type: 'parallel',
      on: {
        BATCH_CONVERTED: { actions: { type: 'gather', params: ({ event }) => ({ batch: event.batch }) } },
      },
      states: {
        mode: {
          initial: 'batching',
          states: {
            batching: { on: { FLUSH: 'flushing' } },
            flushing: {},
          },
        },
        work: {
          initial: 'starting',
          states: {
            // What a failed predecessor left is written at once.
            starting: {
              always: [{ guard: 'hasPending', target: 'writing' }, { target: 'idle' }],
            },
            idle: {
              always: [
                { guard: and(['hasPending', or(['isFlushing', 'isFull'])]), target: 'writing' },
                { guard: 'hasPending', target: 'collecting' },
              ],
            },
            collecting: {
              always: { guard: or(['isFlushing', 'isFull']), target: 'writing' },
              after: { maxWait: 'writing' },
            },
            writing: {
              entry: 'takePending',
              initial: 'attempting',
              states: {
                attempting: {
                  entry: 'startAttempt',
                  invoke: {
                    src: 'storeBatch',
                    input: ({ context }) => ({ store: context.store, buffer: context.writing!, deadLetters: context.deadLetters }),
                    onDone: {
                      target: '#writer.active.work.idle',
                      actions: [{ type: 'countStored', params: ({ event }) => event.output }, 'reportStored'],
                    },
                    onError: {
                      target: 'failedAttempt',
                      actions: [
                        { type: 'noteFailure', params: ({ event }) => ({ error: event.error }) },
                        { type: 'logFailure', params: ({ event }) => ({ error: event.error }) },
                      ],
                    },
                  },
                },
                failedAttempt: {
                  always: [
                    { guard: 'mayRetry', target: 'backingOff' },
                    // A stop does not wait for an InfluxDB that cannot be reached to come back.
                    { guard: and(['mayRetryUnreachable', not('isFlushing')]), target: 'backingOff' },
                    { target: '#writer.failed' },
                  ],
                },
                backingOff: {
                  after: { retryDelay: 'attempting' },
                  // A stop does not wait out the backoff.
                  on: { FLUSH: 'attempting' },
                },
              },
            },
          },
        },
      },
    },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({
    error: context.error,
    unstored: [...(context.writing?.batches ?? []), ...context.pending],
  }),
});
