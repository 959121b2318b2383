/**
 * One pipeline: a consumer, a converter and a writer for one topic (one of `num_processors`).
 * It routes batches between them and runs the graceful stop: stop fetching, flush, commit, report
 * PIPELINE_DRAINED, and on DISCONNECT leave the group. A failing writer fails the pipeline; a Kafka client that gave up ends it with an
 * error in its output. Either way the supervisor decides.
 */
import { assign, sendParent, sendTo, setup } from 'xstate';
import type { MessageKind, Routing } from '../src/convert/index.js';
import type { KafkaConsumerPort } from '../src/kafka/consumer.js';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import { consumerLogic } from './consumer.js';
import { converterMachine } from './converter.js';
import type { PipelineEvent } from './events.js';
import { type BatchStore, writerMachine } from './writer.js';

export interface PipelineInput {
  kind: MessageKind;
  routing: Routing;
  connect: () => KafkaConsumerPort;
  store: BatchStore;
  batchSize: number;
  maxWaitMs: number;
  log: Logger;
  stats: TopicStats;
}

export const pipelineMachine = setup({
  types: {
    context: {} as PipelineInput & { error?: Error },
    input: {} as PipelineInput,
    events: {} as PipelineEvent,
    output: {} as { error?: Error },
  },
  actors: { consumer: consumerLogic, converter: converterMachine, writer: writerMachine },
}).createMachine({
  id: 'pipeline',
  context: ({ input }) => ({ ...input, error: undefined }),
  invoke: [
    {
      id: 'consumer',
      src: 'consumer',
      input: ({ context }) => ({
        connect: context.connect,
        // One batch being written and one being gathered; fetching waits beyond that.
        maxInFlight: 2 * Math.max(context.batchSize, 1000),
        log: context.log,
        stats: context.stats,
      }),
    },
    {
      id: 'converter',
      src: 'converter',
      input: ({ context }) => ({ kind: context.kind, routing: context.routing, log: context.log, stats: context.stats }),
    },
    {
      id: 'writer',
      src: 'writer',
      input: ({ context }) => ({
        store: context.store,
        batchSize: context.batchSize,
        maxWaitMs: context.maxWaitMs,
        log: context.log,
        stats: context.stats,
      }),
    },
  ],
  on: {
    BATCH_FETCHED: { actions: sendTo('converter', ({ event }) => event) },
    BATCH_CONVERTED: { actions: sendTo('writer', ({ event }) => event) },
    BATCH_STORED: { actions: sendTo('consumer', ({ event }) => event) },
    // A final state stops the children (a throwing action would leave them running).
    KAFKA_FAILED: { target: '.failed', actions: assign({ error: ({ event }) => event.error }) },
  },
  initial: 'running',
  states: {
    running: {
      on: { STOP: 'stopping' },
    },
    stopping: {
      entry: [sendTo('consumer', { type: 'STOP_FETCHING' }), sendTo('writer', { type: 'FLUSH' })],
      on: {
        CONSUMER_DRAINED: { actions: sendParent({ type: 'PIPELINE_DRAINED' }) },
        DISCONNECT: { actions: sendTo('consumer', { type: 'DISCONNECT' }) },
        CONSUMER_STOPPED: 'stopped',
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({ error: context.error }),
});
