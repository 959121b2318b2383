/**
 * The supervisor: owns every pipeline (each enabled topic times `num_processors`) and decides what
 * is process-wide. Each pipeline owns its writer's lifecycle (restart backoff, healthy time); the
 * supervisor keeps the restart intensity, the Kafka watchdog, the stop and the exit.
 *
 * States: `starting` until every consumer has joined its group; `running`; `degraded` while a
 * writer is down; `stopping` (`draining`: every pipeline flushes and commits; `disconnecting`: then
 * all leave the group); final `stopped` (exit 0) or `failed` (the exit status says why).
 *
 * - More than `maxRestarts` writer restarts within `restartPeriodMs` (OTP's restart intensity)
 *   escalate: flush what can be flushed (for at most ESCALATION_FLUSH_MS), exit 75.
 * - A writer halted by a configuration fault (credentials refused, certificate not trusted):
 *   nothing more is flushed; exit 78 at once (70 for an error no adapter classified).
 * - A pipeline whose brokers have not answered for `kafkaLossGraceMs` escalates: flush, exit 69.
 * - A stop that takes longer than `stopTimeoutMs` ends anyway (exit 75 unless already decided); a
 *   writer that fails while stopping cannot store anything more, and the stop ends without it.
 * Nothing unstored is ever committed, so none of these exits loses data.
 */
import { and, assign, enqueueActions, sendTo, setup } from 'xstate';
import { ExitCode } from '../src/exit-codes.js';
import type { Logger } from '../src/observe/log.js';
import { Fault, faultOf, messageOf } from '../src/ports/faults.js';
import type { Stop, SupervisorReport, WriterHalted } from './events.js';
import { pipelineMachine, type PipelineInput, type PipelineOutput } from './pipeline.js';
import { threadedPipeline, type ThreadedPipelineInput } from './threaded.js';

export interface SupervisionSettings {
  maxRestarts: number;
  restartPeriodMs: number;
  kafkaLossGraceMs: number;
  stopTimeoutMs: number;
}

/** What the supervisor needs to know of a pipeline; the whole of it is the pipeline actor's input. */
export interface PipelineRef {
  /** Unique among the pipelines, e.g. `metrics-0`. */
  id: string;
  topic: string;
}

export interface SupervisorInput {
  pipelines: readonly PipelineRef[];
  /**
   * Where the pipelines run, each given its entry of `pipelines` as input: in this thread
   * (`pipelineMachine`, the default; entries are PipelineInput) or each on a worker thread
   * (`threadedPipeline`, actors/threaded.ts; entries are ThreadedPipelineInput). Both take the same
   * commands, send the same reports and end with a PipelineOutput.
   */
  threads?: boolean;
  settings: SupervisionSettings;
  log: Logger;
}

export interface SupervisorOutput {
  exitCode: ExitCode;
  reason: string;
}

/** How long an escalation (Kafka lost, writers failing) may spend flushing before the exit. */
export const ESCALATION_FLUSH_MS = 5_000;

/** What a fault means for the process. */
const EXIT_FOR_FAULT: Readonly<Record<Fault, ExitCode>> = {
  [Fault.TRANSIENT]: ExitCode.INFLUX_FAILED,
  [Fault.UNREACHABLE]: ExitCode.INFLUX_FAILED,
  [Fault.CONFIGURATION]: ExitCode.CONFIG,
  [Fault.KAFKA_LOST]: ExitCode.KAFKA_UNAVAILABLE,
};

/** The exit status for a fault; an error nobody classified is a bug (70). */
function exitCodeFor(fault: Fault | undefined): ExitCode {
  return fault ? EXIT_FOR_FAULT[fault] : ExitCode.SOFTWARE;
}

interface SupervisorContext extends SupervisorInput {
  ready: readonly string[];
  /** Pipelines whose writer is down, waiting for its restart. */
  writersDown: number;
  /** Writer restarts within the last restartPeriodMs. */
  recentRestarts: number;
  running: number;
  draining: number;
  /** Set when an exit is decided; undefined until then. */
  outcome?: SupervisorOutput;
}

type Internal = { type: 'RESTART_EXPIRED' } | { type: 'KAFKA_LOST'; pipeline: string };

type PipelineEnded =
  | { type: `xstate.done.actor.${string}`; output: PipelineOutput }
  | { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };

/** The exit a pipeline that ended with an error calls for. */
function pipelineFailure(event: PipelineEnded): SupervisorOutput {
  const pipeline = event.type.replace(/^xstate\.(done|error)\.actor\./, '');
  if ('output' in event) return { exitCode: exitCodeFor(faultOf(event.output.error)), reason: `${pipeline}: ${messageOf(event.output.error)}` };
  return { exitCode: ExitCode.SOFTWARE, reason: `${pipeline}: ${messageOf(event.error)}` };
}

function haltedOutcome(event: WriterHalted): SupervisorOutput {
  const exitCode = exitCodeFor(event.fault);
  if (exitCode === ExitCode.CONFIG) return { exitCode, reason: `${event.pipeline}: configuration fault: ${event.reason}` };
  return {
    exitCode,
    reason: `${event.pipeline}: the writer failed and was not restarted; ${event.unstored} messages not stored (nothing of them committed): ${event.reason}`,
  };
}

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as Stop | SupervisorReport | Internal | PipelineEnded,
    output: {} as SupervisorOutput,
  },
  actors: { pipeline: pipelineMachine, threadedPipeline },
  delays: {
    // An escalation only flushes what can be flushed quickly; a requested stop gets the full time.
    stopTimeout: ({ context }) =>
      context.outcome ? Math.min(ESCALATION_FLUSH_MS, context.settings.stopTimeoutMs) : context.settings.stopTimeoutMs,
  },
  actions: {
    spawnPipelines: enqueueActions(({ context, enqueue }) => {
      for (const p of context.pipelines) {
        if (context.threads) enqueue.spawnChild('threadedPipeline', { id: p.id, input: p as ThreadedPipelineInput });
        else enqueue.spawnChild('pipeline', { id: p.id, input: p as PipelineInput });
        enqueue.raise({ type: 'KAFKA_LOST', pipeline: p.id }, { id: `kafka-${p.id}`, delay: context.settings.kafkaLossGraceMs });
      }
    }),
    tellPipelines: enqueueActions(({ context, enqueue }, event: { type: 'STOP' | 'DISCONNECT' }) => {
      for (const p of context.pipelines) enqueue.sendTo(p.id, event);
    }),
    /** Kafka answered: the grace period starts again. */
    rearmKafkaWatchdog: enqueueActions(({ context, enqueue }, params: { pipeline: string }) => {
      enqueue.cancel(`kafka-${params.pipeline}`);
      enqueue.raise({ type: 'KAFKA_LOST', pipeline: params.pipeline }, { id: `kafka-${params.pipeline}`, delay: context.settings.kafkaLossGraceMs });
    }),
    markReady: assign({
      ready: ({ context }, params: { pipeline: string }) => (context.ready.includes(params.pipeline) ? context.ready : [...context.ready, params.pipeline]),
    }),
    countWriterDown: assign({ writersDown: ({ context }) => context.writersDown + 1 }),
    /** A restart counts towards the intensity for restartPeriodMs. */
    countRestart: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ writersDown: context.writersDown - 1, recentRestarts: context.recentRestarts + 1 });
      enqueue.raise({ type: 'RESTART_EXPIRED' }, { delay: context.settings.restartPeriodMs });
    }),
    forgetRestart: assign({ recentRestarts: ({ context }) => context.recentRestarts - 1 }),
    /** The first reason stands, but a configuration fault wins: no restart can mend it. */
    decideExit: assign({
      outcome: ({ context }, outcome: SupervisorOutput) =>
        !context.outcome || (outcome.exitCode === ExitCode.CONFIG && context.outcome.exitCode !== ExitCode.CONFIG) ? outcome : context.outcome,
    }),
    logStop: ({ context }) => {
      if (context.outcome) context.log.warn(context.outcome, 'escalating: flushing what can be flushed, then exiting');
      else context.log.info('stopping: flushing and committing what was fetched');
    },
    countStopped: assign({ running: ({ context }) => context.running - 1 }),
    countDrained: assign({ draining: ({ context }) => context.draining - 1 }),
  },
  guards: {
    allReady: ({ context }) => context.ready.length >= context.pipelines.length,
    someDown: ({ context }) => context.writersDown > 0,
    noneDown: ({ context }) => context.writersDown === 0,
    restartsExhausted: ({ context }) => context.recentRestarts >= context.settings.maxRestarts,
    isConfigurationFault: (_, params: { fault: Fault | undefined }) => params.fault === Fault.CONFIGURATION,
    endedWithError: (_, params: { event: PipelineEnded }) => !('output' in params.event) || params.event.output?.error !== undefined,
    noneRunning: ({ context }) => context.running <= 0,
    noneDraining: ({ context }) => context.draining <= 0,
    exitDecided: ({ context }) => context.outcome !== undefined,
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    ...input,
    ready: [],
    writersDown: 0,
    recentRestarts: 0,
    running: input.pipelines.length,
    draining: input.pipelines.length,
  }),
  entry: 'spawnPipelines',
  initial: 'starting',
  on: {
    PIPELINE_READY: { actions: { type: 'markReady', params: ({ event }) => event } },
    KAFKA_CONTACT: { actions: { type: 'rearmKafkaWatchdog', params: ({ event }) => event } },
    KAFKA_LOST: {
      target: '.stopping',
      actions: {
        type: 'decideExit',
        params: ({ context, event }) => ({
          exitCode: ExitCode.KAFKA_UNAVAILABLE,
          reason: `${event.pipeline}: no Kafka broker of topic ${context.pipelines.find((p) => p.id === event.pipeline)?.topic} answered for ${context.settings.kafkaLossGraceMs} ms`,
        }),
      },
    },
    WRITER_DOWN: [
      {
        guard: 'restartsExhausted',
        target: '.stopping',
        actions: [
          {
            type: 'decideExit',
            params: ({ context, event }) => ({
              exitCode: ExitCode.INFLUX_FAILED,
              reason: `${event.pipeline}: writer failed after ${context.recentRestarts} restarts within ${context.settings.restartPeriodMs} ms: ${event.reason}`,
            }),
          },
          sendTo(({ event }) => event.pipeline, { type: 'HALT_WRITER' }),
        ],
      },
      { actions: 'countWriterDown' },
    ],
    WRITER_RESTARTED: { actions: 'countRestart' },
    RESTART_EXPIRED: { actions: 'forgetRestart' },
    // Not restarted: a configuration fault (or a bug) ends the process at once, flushing nothing more.
    WRITER_HALTED: { target: '.failed', actions: { type: 'decideExit', params: ({ event }) => haltedOutcome(event) } },
    'xstate.error.actor.*': { target: '.failed', actions: { type: 'decideExit', params: ({ event }) => pipelineFailure(event) } },
    // A pipeline ends before a stop only when its Kafka client gave up.
    'xstate.done.actor.*': {
      guard: { type: 'endedWithError', params: ({ event }) => ({ event }) },
      target: '.failed',
      actions: { type: 'decideExit', params: ({ event }) => pipelineFailure(event) },
    },
    STOP: '.stopping',
  },
  states: {
    starting: {
      always: { guard: 'allReady', target: 'running' },
    },
    running: {
      always: { guard: 'someDown', target: 'degraded' },
    },
    degraded: {
      always: { guard: 'noneDown', target: 'running' },
    },
    stopping: {
      // Every pipeline stops fetching, stores and commits; only then do they leave the group.
      entry: ['logStop', { type: 'tellPipelines', params: { type: 'STOP' } }],
      after: {
        stopTimeout: [
          // Everything that could be is committed; only leaving the group is slow.
          { guard: and(['noneDraining', 'exitDecided']), target: 'failed' },
          { guard: 'noneDraining', target: 'stopped' },
          {
            target: 'failed',
            actions: {
              type: 'decideExit',
              params: ({ context }) => ({ exitCode: ExitCode.INFLUX_FAILED, reason: `stop not finished within ${context.settings.stopTimeoutMs} ms: not everything fetched could be stored` }),
            },
          },
        ],
      },
      initial: 'draining',
      states: {
        draining: {
          always: { guard: 'noneDraining', target: 'disconnecting' },
          on: {
            PIPELINE_DRAINED: { actions: 'countDrained' },
            WRITER_HALTED: [
              { guard: { type: 'isConfigurationFault', params: ({ event }) => event }, target: '#supervisor.failed', actions: { type: 'decideExit', params: ({ event }) => haltedOutcome(event) } },
              // Nothing more of this pipeline can be stored: the stop goes on without it.
              { actions: ['countDrained', { type: 'decideExit', params: ({ event }) => haltedOutcome(event) }] },
            ],
            'xstate.done.actor.*': [
              {
                guard: { type: 'endedWithError', params: ({ event }) => ({ event }) },
                target: '#supervisor.failed',
                actions: { type: 'decideExit', params: ({ event }) => pipelineFailure(event) },
              },
              { actions: ['countStopped', 'countDrained'] },
            ],
          },
        },
        disconnecting: {
          entry: { type: 'tellPipelines', params: { type: 'DISCONNECT' } },
          always: [
            { guard: and(['noneRunning', 'exitDecided']), target: '#supervisor.failed' },
            { guard: 'noneRunning', target: '#supervisor.stopped' },
          ],
          // Everything that could be is committed: a client that fails to leave the group changes nothing.
          on: { 'xstate.done.actor.*': { actions: 'countStopped' } },
        },
      },
      on: {
        STOP: {}, // already stopping
        KAFKA_LOST: {},
        // Counted, not escalated: its pipeline restarts it at once to flush.
        WRITER_DOWN: { actions: 'countWriterDown' },
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => context.outcome ?? { exitCode: ExitCode.OK, reason: 'stopped' },
});
