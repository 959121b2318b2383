/**
 * The supervisor: spawns every pipeline (each enabled topic times `num_processors`), stops them
 * gracefully on STOP, and ends in `failed` as soon as one of them fails, with the exit status that
 * says why. Nothing unstored is ever committed, so exiting loses no data.
 */
import { assign, enqueueActions, setup } from 'xstate';
import { InfluxError, InfluxErrorCode } from '../src/influx/errors.js';
import { ExitCode } from '../src/exit-codes.js';
import type { Logger } from '../src/observe/log.js';
import type { Stop } from './events.js';
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

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as Stop | { type: `xstate.done.actor.${string}` } | { type: `xstate.error.actor.${string}`; error: unknown },
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
      const error = (event as { error?: unknown }).error;
      const pipeline = event.type.slice('xstate.error.actor.'.length);
      const message = error instanceof Error ? error.message : String(error);
      context.log.error({ pipeline, err: message }, 'pipeline failed; exiting');
      return { outcome: { exitCode: exitCodeFor(error), reason: `${pipeline}: ${message}` } };
    }),
    countStopped: assign({ running: ({ context }) => context.running - 1 }),
  },
  guards: {
    lastOneStopped: ({ context }) => context.running <= 1,
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    ...input,
    running: input.pipelines.length,
    outcome: { exitCode: ExitCode.OK, reason: 'stopped' },
  }),
  entry: 'spawnPipelines',
  initial: 'running',
  on: {
    'xstate.error.actor.*': { target: '.failed', actions: 'recordFailure' },
  },
  states: {
    running: {
      on: { STOP: 'stopping' },
    },
    stopping: {
      entry: 'stopPipelines',
      on: {
        'xstate.done.actor.*': [{ guard: 'lastOneStopped', target: 'stopped' }, { actions: 'countStopped' }],
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => context.outcome,
});
