/**
 * The writer actor: gathers converted batches and writes them to InfluxDB when `batch_size`
 * messages are pending or `max_wait_time_seconds` after the first of them, one write at a time,
 * then reports the stored offsets. A write that cannot succeed makes the writer fail; its parent decides.
 */
import { assign, fromPromise, sendParent, setup } from 'xstate';
import { PendingBatch } from '../src/convert/index.js';
import type { StoreReport } from '../src/influx/store.js';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import type { BatchStored, WriterEvent } from './events.js';

/** Where batches go; the real one is src/influx/store.ts's PointStore. */
export interface BatchStore {
  store(lines: ReadonlyMap<string, readonly string[]>, signal?: AbortSignal): Promise<StoreReport>;
}

export interface WriterInput {
  store: BatchStore;
  /** Messages that make a batch full. */
  batchSize: number;
  /** How long the first message of a partial batch waits before it is written anyway. */
  maxWaitMs: number;
  log: Logger;
  stats: TopicStats;
}

interface WriterContext extends WriterInput {
  pending: PendingBatch;
  writing: PendingBatch;
  /** Stopping: write every batch as soon as it comes. */
  flushing: boolean;
}

export const writerMachine = setup({
  types: {
    context: {} as WriterContext,
    input: {} as WriterInput,
    events: {} as WriterEvent,
  },
  actors: {
    storeBatch: fromPromise<StoreReport, { store: BatchStore; batch: PendingBatch }>(({ input, signal }) =>
      input.store.store(input.batch.lines, signal),
    ),
  },
  delays: {
    maxWait: ({ context }) => context.maxWaitMs,
  },
  guards: {
    hasPending: ({ context }) => context.pending.messageCount > 0,
    batchReady: ({ context }) =>
      context.pending.messageCount >= context.batchSize || (context.flushing && context.pending.messageCount > 0),
  },
  actions: {
    gather: ({ context, event }) => {
      if (event.type === 'BATCH_CONVERTED') context.pending.add(event.batch);
    },
    startFlushing: assign({ flushing: true }),
    takePending: assign(({ context }) => ({ writing: context.pending, pending: new PendingBatch() })),
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
  context: ({ input }) => ({ ...input, pending: new PendingBatch(), writing: new PendingBatch(), flushing: false }),
  initial: 'idle',
  on: {
    BATCH_CONVERTED: { actions: 'gather' },
    FLUSH: { actions: 'startFlushing' },
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
      invoke: {
        src: 'storeBatch',
        input: ({ context }) => ({ store: context.store, batch: context.writing }),
        // No onError: a write that retrying could not mend fails the writer, and its parent decides.
        onDone: { target: 'idle', actions: ['countStored', 'reportStored'] },
      },
    },
  },
});
