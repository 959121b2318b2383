/**
 * One pipeline: a consumer, a converter and a writer for one topic (one of `num_processors`).
 * It routes batches between them, reports to the supervisor and owns its writer's lifecycle.
 *
 * States: `active`, parallel:
 * - `flow`: `running`; `stopping` (STOP: stop fetching, flush, report PIPELINE_DRAINED once
 *   everything fetched is committed; DISCONNECT: leave the group).
 * - `writer`: `up`; `down` (it failed: the consumer is paused, what it could not store and what
 *   still comes from the converter is held, and a new writer is started after a backoff that grows
 *   with each failure; at once on STOP); `recovering` (restarted with the held batches first:
 *   `unproven` until it stores a batch, then `proving` until it has not failed for
 *   `healthyAfterMs`, when the backoff starts again from its initial delay); `halted` (a
 *   configuration fault, an unclassified error, a failure while stopping, or the supervisor's
 *   HALT_WRITER: no restart, nothing held is committed).
 * Then final `stopped` (the consumer left the group) or `failed` (the Kafka client gave up; the
 * error is in the output).
 *
 * The supervisor decides what is process-wide: it counts the restarts this pipeline reports
 * (WRITER_DOWN, WRITER_RESTARTED) against the restart intensity and acts on WRITER_HALTED.
 */
import { assign, enqueueActions, or, sendParent, sendTo, setup, stateIn, stopChild } from 'xstate';
import { backoffDelay } from '../src/backoff.js';
import type { ConvertedBatch } from '../src/convert/index.js';
import type { Logger } from '../src/observe/log.js';
import type { TopicStats } from '../src/observe/stats.js';
import { Fault, FaultError, faultOf, messageOf } from '../src/ports/faults.js';
import { messagesIn } from '../src/write-buffer.js';
import { consumerMachine, type ConsumerSettings } from './consumer.js';
import { converterMachine, type ConverterSettings } from './converter.js';
import type {
  BatchConverted,
  BatchFetched,
  BatchStored,
  ConsumerDrained,
  ConsumerReady,
  Disconnect,
  HaltWriter,
  KafkaContact,
  Stop,
  SupervisorReport,
  WriterHalted,
} from './events.js';
import { writerMachine, type WriterOutput, type WriterSettings } from './writer.js';

/** When a failed writer is started again. */
export interface RestartPolicy {
  initialMs: number;
  maxMs: number;
  /** A restarted writer that stored a batch and has not failed for this long is healthy again. */
  healthyAfterMs: number;
}

export interface PipelineInput {
  /** Unique among the supervisor's pipelines, e.g. `metrics-0`. */
  id: string;
  topic: string;
  consumer: ConsumerSettings;
  converter: ConverterSettings;
  writer: WriterSettings;
  restart: RestartPolicy;
  log: Logger;
  stats: TopicStats;
  /** Jitter source (tests make it fixed). */
  random?: () => number;
}

export interface PipelineOutput {
  error?: unknown;
}

interface PipelineContext extends PipelineInput {
  /** Unstored batches while the writer is down or halted: the failed writer's and those converted since. */
  held: readonly ConvertedBatch[];
  /** Writer failures since it was last healthy: the restart backoff grows with them. */
  failures: number;
  /** The delay of the restart the writer is waiting for. */
  restartInMs: number;
  error?: unknown;
}

type PipelineEvent =
  | BatchFetched
  | BatchConverted
  | BatchStored
  | ConsumerReady
  | KafkaContact
  | ConsumerDrained
  | Stop
  | Disconnect
  | HaltWriter
  | { type: 'xstate.done.actor.writer'; output: WriterOutput }
  | { type: 'xstate.done.actor.consumer'; output: { error?: unknown } };

const STOPPING = '#pipeline.active.flow.stopping';

export const pipelineMachine = setup({
  types: {
    context: {} as PipelineContext,
    input: {} as PipelineInput,
    events: {} as PipelineEvent,
    output: {} as PipelineOutput,
  },
  actors: { consumer: consumerMachine, converter: converterMachine, writer: writerMachine },
  delays: {
    restartDelay: ({ context }) => context.restartInMs,
    healthyAfter: ({ context }) => context.restart.healthyAfterMs,
  },
  guards: {
    /** A configuration fault, or an error nobody classified (a bug): a restart would fail the same way. */
    writerCannotRecover: ({ event }) => {
      if (event.type !== 'xstate.done.actor.writer') return false;
      const fault = faultOf(event.output.error);
      return fault === undefined || fault === Fault.CONFIGURATION;
    },
    isStopping: stateIn(STOPPING),
    endedWithError: (_, params: { error?: unknown }) => params.error !== undefined,
  },
  actions: {
    report: sendParent((_, report: SupervisorReport) => report),
    /** What it holds stays uncommitted. */
    reportHalted: sendParent(({ context }, params: { error: unknown }): WriterHalted => ({
      type: 'WRITER_HALTED',
      pipeline: context.id,
      fault: faultOf(params.error),
      reason: messageOf(params.error),
      unstored: messagesIn(context.held),
    })),
    /** A writer that has just failed would drop the batch, and a later batch of its partition be committed past it: hold it. */
    writeOrHold: enqueueActions(({ context, self, enqueue }, params: { batch: ConvertedBatch }) => {
      if (self.getSnapshot().children.writer?.getSnapshot().status === 'active') enqueue.sendTo('writer', { type: 'BATCH_CONVERTED', batch: params.batch });
      else enqueue.assign({ held: [...context.held, params.batch] });
    }),
    hold: assign({ held: ({ context }, params: { batches: readonly ConvertedBatch[] }) => [...context.held, ...params.batches] }),
    startWriter: enqueueActions(({ context, enqueue }, params: { flush: boolean }) => {
      enqueue(stopChild('writer'));
      enqueue.spawnChild('writer', {
        id: 'writer',
        input: { ...context.writer, carryOver: context.held, log: context.log, stats: context.stats, random: context.random },
      });
      if (params.flush) enqueue.sendTo('writer', { type: 'FLUSH' });
      enqueue.assign({ held: [] });
    }),
    flushWriter: enqueueActions(({ self, enqueue }) => {
      if (self.getSnapshot().children.writer?.getSnapshot().status === 'active') enqueue.sendTo('writer', { type: 'FLUSH' });
    }),
    commit: sendTo('consumer', (_, stored: BatchStored) => stored),
    tellConsumer: sendTo('consumer', (_, event: { type: 'PAUSE' | 'RESUME' | 'STOP_FETCHING' | 'DISCONNECT' }) => event),
    scheduleRestart: assign(({ context }) => {
      const failures = context.failures + 1;
      return { failures, restartInMs: backoffDelay(failures, { initialMs: context.restart.initialMs, maxMs: context.restart.maxMs }, context.random) };
    }),
    logDown: ({ context }, params: { error: unknown }) => {
      context.log.warn(
        { failures: context.failures, restartInMs: context.restartInMs, held: messagesIn(context.held), err: messageOf(params.error) },
        'writer failed; its consumer is paused until it is restarted',
      );
    },
    logNotRestarted: ({ context }) => context.log.warn({ held: messagesIn(context.held) }, 'writer not restarted again: too many restarts'),
    logRestart: ({ context }) => context.log.info({ held: messagesIn(context.held) }, 'restarting writer'),
    logHealthy: ({ context }) => context.log.info({ failures: context.failures }, 'writer healthy again'),
    resetFailures: assign({ failures: 0 }),
  },
}).createMachine({
  id: 'pipeline',
  context: ({ input }) => ({ ...input, held: [], failures: 0, restartInMs: 0 }),
  initial: 'active',
  states: {
    active: {
      type: 'parallel',
      entry: { type: 'startWriter', params: { flush: false } },
      invoke: [
        {
          id: 'consumer',
          src: 'consumer',
          input: ({ context }) => ({ ...context.consumer, log: context.log, stats: context.stats }),
        },
        {
          id: 'converter',
          src: 'converter',
          input: ({ context }) => ({ ...context.converter, log: context.log, stats: context.stats }),
        },
      ],
      on: {
        BATCH_FETCHED: { actions: sendTo('converter', ({ event }) => event) },
        BATCH_STORED: { actions: { type: 'commit', params: ({ event }) => event } },
        CONSUMER_READY: { actions: { type: 'report', params: ({ context }) => ({ type: 'PIPELINE_READY', pipeline: context.id }) } },
        KAFKA_CONTACT: { actions: { type: 'report', params: ({ context }) => ({ type: 'KAFKA_CONTACT', pipeline: context.id }) } },
        'xstate.done.actor.consumer': [
          {
            guard: { type: 'endedWithError', params: ({ event }) => event.output },
            target: 'failed',
            actions: assign({ error: ({ event }) => event.output.error }),
          },
          { target: 'stopped' },
        ],
      },
      states: {
        flow: {
          initial: 'running',
          states: {
            running: {
              on: { STOP: 'stopping' },
            },
            stopping: {
              entry: [{ type: 'tellConsumer', params: { type: 'STOP_FETCHING' } }, 'flushWriter'],
              on: {
                CONSUMER_DRAINED: { actions: { type: 'report', params: ({ context }) => ({ type: 'PIPELINE_DRAINED', pipeline: context.id }) } },
                DISCONNECT: { actions: { type: 'tellConsumer', params: { type: 'DISCONNECT' } } },
              },
            },
          },
        },
        writer: {
          initial: 'up',
          on: {
            'xstate.done.actor.writer': [
              {
                guard: or(['writerCannotRecover', 'isStopping']),
                target: '.halted',
                actions: [
                  { type: 'hold', params: ({ event }) => ({ batches: event.output.unstored }) },
                  { type: 'reportHalted', params: ({ event }) => ({ error: event.output.error }) },
                ],
              },
              {
                target: '.down',
                actions: [
                  { type: 'hold', params: ({ event }) => ({ batches: event.output.unstored }) },
                  'scheduleRestart',
                  { type: 'logDown', params: ({ event }) => event.output },
                  { type: 'report', params: ({ context, event }) => ({ type: 'WRITER_DOWN', pipeline: context.id, reason: messageOf(event.output.error) }) },
                ],
              },
            ],
            BATCH_CONVERTED: { actions: { type: 'writeOrHold', params: ({ event }) => event } },
          },
          states: {
            up: {},
            down: {
              entry: { type: 'tellConsumer', params: { type: 'PAUSE' } },
              on: {
                BATCH_CONVERTED: { actions: { type: 'hold', params: ({ event }) => ({ batches: [event.batch] }) } },
                // Stopping: what it holds can still be stored and committed.
                STOP: 'recovering',
                // The supervisor gave up on it (too many restarts).
                HALT_WRITER: {
                  target: 'halted',
                  actions: ['logNotRestarted', { type: 'reportHalted', params: { error: new FaultError(Fault.TRANSIENT, 'not restarted again: too many restarts') } }],
                },
              },
              after: { restartDelay: 'recovering' },
            },
            recovering: {
              entry: [
                'logRestart',
                { type: 'startWriter', params: ({ event }) => ({ flush: event.type === 'STOP' }) },
                { type: 'tellConsumer', params: { type: 'RESUME' } },
                { type: 'report', params: ({ context }) => ({ type: 'WRITER_RESTARTED', pipeline: context.id }) },
              ],
              initial: 'unproven',
              states: {
                unproven: {
                  // (A region's handler hides the parallel state's own: commit here too.)
                  on: { BATCH_STORED: { target: 'proving', actions: { type: 'commit', params: ({ event }) => event } } },
                },
                proving: {
                  after: { healthyAfter: { target: '#pipeline.active.writer.up', actions: ['logHealthy', 'resetFailures'] } },
                },
              },
            },
            halted: {
              entry: { type: 'tellConsumer', params: { type: 'PAUSE' } },
              on: {
                BATCH_CONVERTED: { actions: { type: 'hold', params: ({ event }) => ({ batches: [event.batch] }) } },
              },
            },
          },
        },
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({ error: context.error }),
});
