/**
 * The worker thread of one pipeline (actors/threaded.ts starts it): builds the pipeline from the
 * configuration, as the main thread would, and runs it under a host actor that relays the
 * supervisor's commands in and the pipeline's reports, counters and end out.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createActor, enqueueActions, sendTo, setup, spawnChild } from 'xstate';
import type { SupervisorReport } from '../actors/events.js';
import { pipelineMachine, type PipelineOutput } from '../actors/pipeline.js';
import { type Abort, errorData, type PipelineCommand, type ThreadData, type ThreadMessage } from '../actors/threaded.js';
import { closePipeline, influxHttp, pipelineInput, topicOf } from './app.js';
import { InspectionRecorder, UPDATE_MS } from './observe/inspector.js';
import { createLogger } from './observe/log.js';
import { type Counts, countsSince, NO_COUNTS, TopicStats, type WriteObservation } from './observe/stats.js';

/** How often the pipeline's counters are sent to the main thread. */
const STATS_EVERY_MS = 1_000;

const port = parentPort!;
const { place, config, log: logOptions } = workerData as ThreadData;
// Synchronous writes: the main thread terminates this one once it has reported its end.
// Each line names the thread (the main thread is 0).
const log = createLogger({ ...logOptions, sync: true }).child({ thread: threadId });
const stats = new TopicStats(topicOf(config, place.kind).topic);
const input = pipelineInput(config, place, influxHttp(config), log, stats);

const post = (message: ThreadMessage) => port.postMessage(message);

let sent: Counts = { ...NO_COUNTS };
const writes: WriteObservation[] = [];
stats.onWrite((_, write) => writes.push(write));
function postStats(): void {
  const now = stats.counts();
  post({ kind: 'stats', delta: countsSince(now, sent), partitions: [...stats.partitions], writes: writes.splice(0) });
  sent = now;
}
const statsTimer = setInterval(postStats, STATS_EVERY_MS);

let ended = false;
/** The pipeline's end (`crashed`: it failed with an error): counters out first, then the end itself. */
function end(error?: unknown, crashed = false): void {
  if (ended) return;
  ended = true;
  clearInterval(statsTimer);
  clearInterval(inspectTimer);
  // Closed before the end is told: the thread is terminated then.
  void closePipeline(input).finally(() => {
    postStats();
    if (error === undefined) post({ kind: 'done' });
    else post({ kind: 'done', error: errorData(error), crashed });
  });
}

type HostEvent =
  | PipelineCommand
  | SupervisorReport
  | { type: `xstate.done.actor.${string}`; output: PipelineOutput }
  | { type: `xstate.error.actor.${string}`; error: unknown };

const host = setup({
  types: { events: {} as HostEvent },
  actors: { pipeline: pipelineMachine },
  actions: {
    report: (_, event: SupervisorReport) => post({ kind: 'report', event }),
    command: sendTo(input.id, (_, event: PipelineCommand) => event),
  },
}).createMachine({
  entry: spawnChild('pipeline', { id: input.id, input }),
  on: {
    STOP: { actions: { type: 'command', params: ({ event }) => event } },
    DISCONNECT: { actions: { type: 'command', params: ({ event }) => event } },
    HALT_WRITER: { actions: { type: 'command', params: ({ event }) => event } },
    PIPELINE_READY: { actions: { type: 'report', params: ({ event }) => event } },
    KAFKA_CONTACT: { actions: { type: 'report', params: ({ event }) => event } },
    WRITER_DOWN: { actions: { type: 'report', params: ({ event }) => event } },
    WRITER_RESTARTED: { actions: { type: 'report', params: ({ event }) => event } },
    WRITER_HALTED: { actions: { type: 'report', params: ({ event }) => event } },
    PIPELINE_DRAINED: { actions: { type: 'report', params: ({ event }) => event } },
    'xstate.done.actor.*': { actions: enqueueActions(({ event }) => end('output' in event ? event.output.error : undefined)) },
    'xstate.error.actor.*': { actions: enqueueActions(({ event }) => end('error' in event ? event.error : new Error('the pipeline failed'), true)) },
  },
});

// The live inspector: what this thread's actors do goes to the main thread's view.
const recorder = config.monitoring.enabled && config.monitoring.inspector ? new InspectionRecorder(threadId) : undefined;
let inspectTimer: NodeJS.Timeout | undefined;
if (recorder) {
  recorder.watching = true;
  inspectTimer = setInterval(() => {
    const batch = recorder.take();
    if (batch.actors.length > 0 || batch.events.length > 0 || batch.dropped > 0) post({ kind: 'inspect', batch });
  }, UPDATE_MS);
}
const actor = createActor(host, recorder ? { inspect: (event) => recorder.handle(event) } : {});
actor.subscribe({ error: (error) => end(error, true) });
port.on('message', (command: PipelineCommand | Abort) => {
  if (command.type !== 'ABORT') {
    actor.send(command);
    return;
  }
  // The supervisor ended: stopping the host stops the pipeline and its consumer leaves the group;
  // the thread then ends by itself when nothing is left to do.
  ended = true;
  clearInterval(statsTimer);
  clearInterval(inspectTimer);
  actor.stop();
  void closePipeline(input).finally(postStats);
  port.unref();
});
actor.start();
