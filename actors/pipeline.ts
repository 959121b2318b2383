/**
 * One pipeline: a consumer, a converter and a writer for one topic (one of `num_processors`).
 * It routes batches between them, reports to the supervisor (ready, Kafka contact, writer down,
 * drained) and carries out its decisions:
 * - writer failed: pause the consumer, hold what the writer could not store and what still comes
 *   from the converter, report WRITER_DOWN; on RESTART_WRITER start a new writer with all of it and
 *   resume the consumer. Nothing held is committed, and fetching waits, so memory stays bounded.
 * - STOP: stop fetching, flush, commit, report PIPELINE_DRAINED; on DISCONNECT leave the group.
 * - the Kafka client gave up: end in `failed` with the error in the output (a final state stops the
 *   children; a throwing action would leave them running).
 */
import { assign, enqueueActions, sendParent, sendTo, setup, stopChild } from 'xstate';
import { type MessageKind, PendingBatch, type Routing } from '../src/convert/index.js';
import type { KafkaConsumerPort } from '../src/kafka/consumer.js';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import { consumerLogic } from './consumer.js';
import { converterMachine } from './converter.js';
import type { PipelineEvent, SupervisorReport } from './events.js';
import { type BatchStore, type WriteRetry, type WriterInput, writerMachine, type WriterOutput } from './writer.js';

export interface PipelineInput {
  /** Unique among the supervisor's pipelines, e.g. `metrics-0`. */
  id: string;
  kind: MessageKind;
  routing: Routing;
  connect: () => KafkaConsumerPort;
  store: BatchStore;
  batchSize: number;
  maxWaitMs: number;
  writeRetry: WriteRetry;
  /** KAFKA_CONTACT at most this often (0: every time; tests). */
  contactEveryMs: number;
  log: Logger;
  stats: TopicStats;
  random?: () => number;
}

interface PipelineContext extends PipelineInput {
  writerUp: boolean;
  /** Restarted, and nothing stored yet. */
  recovering: boolean;
  /** Unstored batches while the writer is down: the failed writer's and those converted since. */
  held: PendingBatch;
  stopping: boolean;
  error?: Error;
}

type WriterDone = { type: 'xstate.done.actor.writer'; output: WriterOutput };

function writerInput(context: PipelineContext, carryOver?: PendingBatch): WriterInput {
  return {
    store: context.store,
    batchSize: context.batchSize,
    maxWaitMs: context.maxWaitMs,
    retry: context.writeRetry,
    carryOver,
    log: context.log,
    stats: context.stats,
    random: context.random,
  };
}

export const pipelineMachine = setup({
  types: {
    context: {} as PipelineContext,
    input: {} as PipelineInput,
    events: {} as PipelineEvent | WriterDone,
    output: {} as { error?: Error },
  },
  actors: { consumer: consumerLogic, converter: converterMachine, writer: writerMachine },
  actions: {
    report: sendParent((_, report: SupervisorReport) => report),
  },
}).createMachine({
  id: 'pipeline',
  context: ({ input }) => ({ ...input, writerUp: true, recovering: false, held: new PendingBatch(), stopping: false }),
  entry: enqueueActions(({ context, enqueue }) => {
    enqueue.spawnChild('writer', { id: 'writer', input: writerInput(context) });
  }),
  invoke: [
    {
      id: 'consumer',
      src: 'consumer',
      input: ({ context }) => ({
        connect: context.connect,
        // One batch being written and one being gathered; fetching waits beyond that.
        maxInFlight: 2 * Math.max(context.batchSize, 1000),
        contactEveryMs: context.contactEveryMs,
        log: context.log,
        stats: context.stats,
      }),
    },
    {
      id: 'converter',
      src: 'converter',
      input: ({ context }) => ({ kind: context.kind, routing: context.routing, log: context.log, stats: context.stats }),
    },
  ],
  on: {
    BATCH_FETCHED: { actions: sendTo('converter', ({ event }) => event) },
    BATCH_CONVERTED: {
      actions: enqueueActions(({ context, event, enqueue, self }) => {
        // An event sent to a writer that has just failed would be dropped, and a later batch of the
        // same partition committed past it: hold the batch instead.
        const writer = self.getSnapshot().children.writer;
        if (context.writerUp && writer?.getSnapshot().status === 'active') enqueue.sendTo('writer', event);
        else context.held.add(event.batch);
      }),
    },
    BATCH_STORED: [
      {
        // The first write of a restarted writer: the supervisor starts counting its healthy time.
        guard: ({ context }) => context.recovering,
        actions: [
          sendTo('consumer', ({ event }) => event),
          assign({ recovering: false }),
          { type: 'report', params: ({ context }) => ({ type: 'WRITER_RECOVERED', pipeline: context.id }) },
        ],
      },
      { actions: sendTo('consumer', ({ event }) => event) },
    ],
    CONSUMER_READY: { actions: { type: 'report', params: ({ context }) => ({ type: 'PIPELINE_READY', pipeline: context.id }) } },
    KAFKA_CONTACT: { actions: { type: 'report', params: ({ context }) => ({ type: 'KAFKA_CONTACT', pipeline: context.id }) } },
    'xstate.done.actor.writer': {
      actions: [
        ({ context, event }) => context.held.absorb(event.output.unstored),
        assign({ writerUp: false }),
        sendTo('consumer', { type: 'PAUSE' }),
        { type: 'report', params: ({ context, event }) => ({ type: 'WRITER_DOWN', pipeline: context.id, error: event.output.error }) },
      ],
    },
    RESTART_WRITER: {
      guard: ({ context }) => !context.writerUp,
      actions: [
        stopChild('writer'),
        enqueueActions(({ context, enqueue }) => {
          enqueue.spawnChild('writer', { id: 'writer', input: writerInput(context, context.held) });
          if (context.stopping) enqueue.sendTo('writer', { type: 'FLUSH' });
        }),
        assign({ writerUp: true, recovering: true, held: () => new PendingBatch() }),
        sendTo('consumer', { type: 'RESUME' }),
      ],
    },
    KAFKA_FAILED: { target: '.failed', actions: assign({ error: ({ event }) => event.error }) },
  },
  initial: 'running',
  states: {
    running: {
      on: { STOP: 'stopping' },
    },
    stopping: {
      entry: [
        assign({ stopping: true }),
        sendTo('consumer', { type: 'STOP_FETCHING' }),
        enqueueActions(({ context, enqueue }) => {
          if (context.writerUp) enqueue.sendTo('writer', { type: 'FLUSH' });
        }),
      ],
      on: {
        CONSUMER_DRAINED: { actions: { type: 'report', params: ({ context }) => ({ type: 'PIPELINE_DRAINED', pipeline: context.id }) } },
        DISCONNECT: { actions: sendTo('consumer', { type: 'DISCONNECT' }) },
        CONSUMER_STOPPED: 'stopped',
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({ error: context.error }),
});
