/**
 * The supervisor: spawns every pipeline (each enabled topic times `num_processors`), stops them
 * gracefully on STOP, and ends in `failed` as soon as one of them fails, with the exit status that
 * says why. Nothing unstored is ever committed, so exiting loses no data.
 */
import { assign, enqueueActions, setup } from 'xstate';
import { InfluxError, InfluxErrorCode } from '../src/influx/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import type { Logger } from '../src/observe/log.js';
import type { PipelineDrained, Stop } from './events.js';
import { pipelineMachine, type PipelineInput } from './pipeline.js';

export interface PipelineSpec {
  id: string;
  input: PipelineInput;
}

export interface SupervisorInput {
  pipelines: PipelineSpec[];
  log: Logger;
}

export interface SupervisorOutput {
  exitCode: ExitCode;
  reason: string;
}

interface SupervisorContext extends SupervisorInput {
  running: number;
  /** Pipelines still flushing during a stop. */
  draining: number;
  outcome: SupervisorOutput;
}

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

/** The error a pipeline failed with, or ended with (its output), if any. */
function errorOf(event: { type: string }): unknown {
  const e = event as { error?: unknown; output?: { error?: unknown } };
  return e.error ?? e.output?.error;
}

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as
      | Stop
      | PipelineDrained
      | { type: `xstate.done.actor.${string}`; output?: { error?: Error } }
      | { type: `xstate.error.actor.${string}`; error: unknown },
    output: {} as SupervisorOutput,
  },
  actors: { pipeline: pipelineMachine },
  actions: {
    spawnPipelines: enqueueActions(({ context, enqueue }) => {
      for (const p of context.pipelines) enqueue.spawnChild('pipeline', { id: p.id, input: p.input });
    }),
    stopPipelines: enqueueActions(({ context, enqueue }) => {
      for (const p of context.pipelines) enqueue.sendTo(p.id, { type: 'STOP' });
    }),
    recordFailure: assign(({ context, event }) => {
      const error = errorOf(event);
      const pipeline = event.type.replace(/^xstate\.(error|done)\.actor\./, '');
      const message = error instanceof Error ? error.message : String(error);
      context.log.error({ pipeline, err: message }, 'pipeline failed; exiting');
      return { outcome: { exitCode: exitCodeFor(error), reason: `${pipeline}: ${message}` } };
    }),
    countStopped: assign({ running: ({ context }) => context.running - 1 }),
    countDrained: assign({ draining: ({ context }) => context.draining - 1 }),
    disconnectPipelines: enqueueActions(({ context, enqueue }) => {
      for (const p of context.pipelines) enqueue.sendTo(p.id, { type: 'DISCONNECT' });
    }),
  },
  guards: {
    noneRunning: ({ context }) => context.running <= 0,
    noneDraining: ({ context }) => context.draining <= 0,
    endedWithError: ({ event }) => errorOf(event) !== undefined,
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    ...input,
    running: input.pipelines.length,
    draining: input.pipelines.length,
    outcome: { exitCode: ExitCode.OK, reason: 'stopped' },
  }),
  entry: 'spawnPipelines',
  initial: 'running',
  on: {
    'xstate.error.actor.*': { target: '.failed', actions: 'recordFailure' },
    'xstate.done.actor.*': { guard: 'endedWithError', target: '.failed', actions: 'recordFailure' },
  },
  states: {
    running: {
      on: { STOP: 'stopping' },
    },
    stopping: {
      // Every pipeline stops fetching, stores and commits; only then do they leave the group.
      entry: 'stopPipelines',
      initial: 'draining',
      states: {
        draining: {
          always: { guard: 'noneDraining', target: 'disconnecting' },
          on: { PIPELINE_DRAINED: { actions: 'countDrained' } },
        },
        disconnecting: {
          entry: 'disconnectPipelines',
          always: { guard: 'noneRunning', target: '#supervisor.stopped' },
        },
      },
      on: {
        'xstate.done.actor.*': [
          { guard: 'endedWithError', target: 'failed', actions: 'recordFailure' },
          { actions: 'countStopped' },
        ],
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => context.outcome,
});
