/**
 * The supervisor: owns every pipeline (each enabled topic times `num_processors`) and decides.
 *
 * States: `starting` until every consumer has joined its group; `running`; `degraded` while a
 * writer is down; `stopping` (every pipeline flushes and commits, then all leave the group);
 * final `stopped` (exit 0) or `failed` (the exit status says why).
 *
 * - A writer that failed is restarted after a backoff (exponential, with jitter) that grows with
 *   each failure of that pipeline and falls back to the initial delay once it has stayed healthy
 *   for `healthyAfterMs`. More than `maxRestarts` restarts within `restartPeriodMs` (OTP's restart
 *   intensity) escalate: the process stops and exits 75, and systemd restarts it.
 * - A pipeline whose brokers have not answered for `kafkaLossGraceMs` escalates: flush what can be
 *   flushed (for at most ESCALATION_FLUSH_MS), exit 69.
 * - A stop that takes longer than `stopTimeoutMs` ends anyway (exit 75 unless already decided).
 * Nothing unstored is ever committed, so none of these exits loses data.
 */
import { assign, enqueueActions, setup } from 'xstate';
import { backoffDelay } from '../src/backoff.js';
import { ExitCode } from '../src/exit-codes.js';
import { InfluxError, InfluxErrorCode } from '../src/influx/errors.js';
import type { Logger } from '../src/observe/log.js';
import type { Stop, SupervisorReport } from './events.js';
import { pipelineMachine, type PipelineInput } from './pipeline.js';

export interface SupervisionSettings {
  restartInitialMs: number;
  restartMaxMs: number;
  healthyAfterMs: number;
  maxRestarts: number;
  restartPeriodMs: number;
  kafkaLossGraceMs: number;
  stopTimeoutMs: number;
}

export interface SupervisorInput {
  pipelines: PipelineInput[];
  settings: SupervisionSettings;
  log: Logger;
  /** Jitter source (tests make it fixed). */
  random?: () => number;
}

export interface SupervisorOutput {
  exitCode: ExitCode;
  reason: string;
}

/** How long an escalation (Kafka lost, writers failing) may spend flushing before the exit. */
export const ESCALATION_FLUSH_MS = 5_000;

interface SupervisorContext extends SupervisorInput {
  ready: string[];
  /** Pipelines whose writer is down, waiting for a restart. */
  down: string[];
  /** Per pipeline: writer failures since it was last healthy (sets the backoff). */
  failures: Record<string, number>;
  /** Writer restarts within the last restartPeriodMs. */
  recentRestarts: number;
  running: number;
  draining: number;
  /** Set when an exit is decided; undefined until then. */
  outcome?: SupervisorOutput;
}

type Internal =
  | { type: 'RESTART_DUE'; pipeline: string }
  | { type: 'RESTART_EXPIRED' }
  | { type: 'WRITER_HEALTHY'; pipeline: string }
  | { type: 'KAFKA_LOST'; pipeline: string };

type ChildEnded =
  | { type: `xstate.done.actor.${string}`; output?: { error?: unknown } }
  | { type: `xstate.error.actor.${string}`; error: unknown };

/** What a pipeline's failure means for the process. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof InfluxError) {
    return error.code === InfluxErrorCode.AUTH_FAILED || error.code === InfluxErrorCode.RETENTION_POLICY_NOT_FOUND
      ? ExitCode.CONFIG
      : ExitCode.INFLUX_FAILED;
  }
  if (error instanceof Error && /^Kafka/.test(error.name)) return ExitCode.KAFKA_UNAVAILABLE;
  return ExitCode.SOFTWARE;
}

function errorOf(event: { type: string }): unknown {
  const e = event as { error?: unknown; output?: { error?: unknown } };
  return e.error ?? e.output?.error;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The exit a pipeline that failed (or ended with an error) calls for. */
function childFailure(event: { type: string }): SupervisorOutput {
  const error = errorOf(event);
  return { exitCode: exitCodeFor(error), reason: `${event.type.replace(/^xstate\.(done|error)\.actor\./, '')}: ${message(error)}` };
}

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as Stop | SupervisorReport | Internal | ChildEnded,
    output: {} as SupervisorOutput,
  },
  actors: { pipeline: pipelineMachine },
  delays: {
    // An escalation only flushes what can be flushed quickly; a requested stop gets the full time.
    stopTimeout: ({ context }) =>
      context.outcome ? Math.min(ESCALATION_FLUSH_MS, context.settings.stopTimeoutMs) : context.settings.stopTimeoutMs,
  },
  actions: {
    spawnPipelines: enqueueActions(({ context, enqueue }) => {
      for (const p of context.pipelines) {
        enqueue.spawnChild('pipeline', { id: p.id, input: p });
        enqueue.raise({ type: 'KAFKA_LOST', pipeline: p.id }, { id: `kafka-${p.id}`, delay: context.settings.kafkaLossGraceMs });
      }
    }),
    stopPipelines: enqueueActions(({ context, enqueue }) => {
      for (const p of context.pipelines) enqueue.sendTo(p.id, { type: 'STOP' });
    }),
    disconnectPipelines: enqueueActions(({ context, enqueue }) => {
      for (const p of context.pipelines) enqueue.sendTo(p.id, { type: 'DISCONNECT' });
    }),
    /** Kafka answered: the grace period starts again. */
    rearmKafkaWatchdog: enqueueActions(({ context, event, enqueue }) => {
      const { pipeline } = event as { pipeline: string };
      enqueue.cancel(`kafka-${pipeline}`);
      enqueue.raise({ type: 'KAFKA_LOST', pipeline }, { id: `kafka-${pipeline}`, delay: context.settings.kafkaLossGraceMs });
    }),
    markReady: assign({
      ready: ({ context, event }) => {
        const { pipeline } = event as { pipeline: string };
        return context.ready.includes(pipeline) ? context.ready : [...context.ready, pipeline];
      },
    }),
    scheduleRestart: enqueueActions(({ context, event, enqueue }) => {
      const { pipeline, error } = event as { pipeline: string; error: unknown };
      const failures = (context.failures[pipeline] ?? 0) + 1;
      const { restartInitialMs: initialMs, restartMaxMs: maxMs } = context.settings;
      const delay = backoffDelay(failures, { initialMs, maxMs }, context.random);
      context.log.warn({ actor: pipeline, failures, restartInMs: delay, err: message(error) }, 'writer failed; its consumer is paused until it is restarted');
      enqueue.cancel(`healthy-${pipeline}`);
      enqueue.assign({ failures: { ...context.failures, [pipeline]: failures }, down: [...context.down, pipeline] });
      enqueue.cancel(`restart-${pipeline}`);
      enqueue.raise({ type: 'RESTART_DUE', pipeline }, { id: `restart-${pipeline}`, delay });
    }),
    restartWriter: enqueueActions(({ context, event, enqueue }) => {
      const { pipeline } = event as { pipeline: string };
      context.log.info({ actor: pipeline }, 'restarting writer');
      enqueue.sendTo(pipeline, { type: 'RESTART_WRITER' });
      enqueue.assign({ down: context.down.filter((p) => p !== pipeline), recentRestarts: context.recentRestarts + 1 });
      enqueue.raise({ type: 'RESTART_EXPIRED' }, { delay: context.settings.restartPeriodMs });
    }),
    /** A restarted writer stored something: healthy once it has not failed for healthyAfterMs. */
    startHealthyTimer: enqueueActions(({ context, event, enqueue }) => {
      const { pipeline } = event as { pipeline: string };
      enqueue.cancel(`healthy-${pipeline}`);
      enqueue.raise({ type: 'WRITER_HEALTHY', pipeline }, { id: `healthy-${pipeline}`, delay: context.settings.healthyAfterMs });
    }),
    /** Stopping: restart the writers that are down now, so that what they hold can be written. */
    restartDownNow: enqueueActions(({ context, enqueue }) => {
      for (const pipeline of context.down) {
        enqueue.cancel(`restart-${pipeline}`);
        enqueue.raise({ type: 'RESTART_DUE', pipeline });
      }
    }),
    forgetRestart: assign({ recentRestarts: ({ context }) => context.recentRestarts - 1 }),
    resetBackoff: assign({
      failures: ({ context, event }) => ({ ...context.failures, [(event as { pipeline: string }).pipeline]: 0 }),
    }),
    decideExit: assign({
      outcome: ({ context }, outcome: SupervisorOutput) => {
        if (context.outcome) return context.outcome; // the first reason stands
        context.log.error(outcome, 'exiting');
        return outcome;
      },
    }),
    countStopped: assign({ running: ({ context }) => context.running - 1 }),
    countDrained: assign({ draining: ({ context }) => context.draining - 1 }),
  },
  guards: {
    allReady: ({ context }) => context.ready.length >= context.pipelines.length,
    someDown: ({ context }) => context.down.length > 0,
    noneDown: ({ context }) => context.down.length === 0,
    restartsExhausted: ({ context }) => context.recentRestarts >= context.settings.maxRestarts,
    endedWithError: ({ event }) => errorOf(event) !== undefined,
    noneRunning: ({ context }) => context.running <= 0,
    noneDraining: ({ context }) => context.draining <= 0,
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    ...input,
    ready: [],
    down: [],
    failures: {},
    recentRestarts: 0,
    running: input.pipelines.length,
    draining: input.pipelines.length,
  }),
  entry: 'spawnPipelines',
  initial: 'starting',
  on: {
    PIPELINE_READY: { actions: 'markReady' },
    KAFKA_CONTACT: { actions: 'rearmKafkaWatchdog' },
    KAFKA_LOST: {
      target: '.stopping',
      actions: {
        type: 'decideExit',
        params: ({ context, event }) => ({
          exitCode: ExitCode.KAFKA_UNAVAILABLE,
          reason: `${event.pipeline}: no Kafka broker of ${context.pipelines.find((p) => p.id === event.pipeline)?.kind} answered for ${context.settings.kafkaLossGraceMs} ms`,
        }),
      },
    },
    WRITER_DOWN: [
      {
        guard: 'restartsExhausted',
        target: '.stopping',
        actions: {
          type: 'decideExit',
          params: ({ context, event }) => ({
            exitCode: exitCodeFor(event.error) === ExitCode.CONFIG ? ExitCode.CONFIG : ExitCode.INFLUX_FAILED,
            reason: `${event.pipeline}: writer failed after ${context.recentRestarts} restarts within ${context.settings.restartPeriodMs} ms: ${message(event.error)}`,
          }),
        },
      },
      { actions: 'scheduleRestart' },
    ],
    RESTART_DUE: { actions: 'restartWriter' },
    WRITER_RECOVERED: { actions: 'startHealthyTimer' },
    RESTART_EXPIRED: { actions: 'forgetRestart' },
    WRITER_HEALTHY: { actions: 'resetBackoff' },
    'xstate.error.actor.*': { target: '.failed', actions: { type: 'decideExit', params: ({ event }) => childFailure(event) } },
    // A pipeline ends before a stop only when its Kafka client gave up.
    'xstate.done.actor.*': { guard: 'endedWithError', target: '.failed', actions: { type: 'decideExit', params: ({ event }) => childFailure(event) } },
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
      entry: ['stopPipelines', 'restartDownNow'],
      after: {
        stopTimeout: [
          // Everything is committed; only leaving the group is slow.
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
            'xstate.done.actor.*': [
              { guard: 'endedWithError', target: '#supervisor.failed', actions: { type: 'decideExit', params: ({ event }) => childFailure(event) } },
              { actions: 'countStopped' },
            ],
          },
        },
        disconnecting: {
          entry: 'disconnectPipelines',
          always: { guard: 'noneRunning', target: '#supervisor.stopped' },
          // Everything is committed: a client that fails to leave the group changes nothing.
          on: { 'xstate.done.actor.*': { actions: 'countStopped' } },
        },
      },
      on: {
        STOP: {}, // already stopping
        KAFKA_LOST: {},
        WRITER_DOWN: { actions: 'scheduleRestart' }, // keep restarting: what it stores can still be committed
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => context.outcome ?? { exitCode: ExitCode.OK, reason: 'stopped' },
});
