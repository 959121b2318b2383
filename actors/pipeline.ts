/**
 * One pipeline: a consumer, a converter and a writer for one topic (one of `num_processors`).
 * It routes batches between them and runs the graceful stop: stop fetching, flush, commit,
 * disconnect. A failing child fails the pipeline, and the supervisor decides.
 */
import { sendTo, setup } from 'xstate';
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
    context: {} as PipelineInput,
    input: {} as PipelineInput,
    events: {} as PipelineEvent,
  },
  actors: { consumer: consumerLogic, converter: converterMachine, writer: writerMachine },
  actions: {
    failWith: (_, error: Error) => {
      throw error;
    },
  },
}).createMachine({
  id: 'pipeline',
  context: ({ input }) => input,
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
    KAFKA_FAILED: { actions: { type: 'failWith', params: ({ event }) => event.error } },
  },
  initial: 'running',
  states: {
    running: {
      on: { STOP: 'stopping' },
    },
    stopping: {
      entry: [sendTo('consumer', { type: 'STOP_FETCHING' }), sendTo('writer', { type: 'FLUSH' })],
      on: { CONSUMER_STOPPED: 'stopped' },
    },
    stopped: { type: 'final' },
  },
});
