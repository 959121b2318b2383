/**
 * A pipeline on its own worker thread, as the supervisor sees it: the same actor as
 * `pipelineMachine` (it takes STOP, DISCONNECT and HALT_WRITER, reports PIPELINE_READY,
 * KAFKA_CONTACT, WRITER_DOWN, ... and ends with a PipelineOutput), so supervision, restarts, the
 * stop and the exit statuses do not change. The thread (src/pipeline-worker.ts) builds its
 * pipeline from the configuration and runs it with its own Kafka and InfluxDB clients; events and
 * counters cross as messages.
 *
 * A pipeline that fails with an error, or a thread that dies without reporting its end (an uncaught
 * error, out of memory), is an error of this actor, as an error of the pipeline actor is: the
 * supervisor exits 70, and nothing unstored was committed. Stopped by the supervisor (when it
 * ends), the pipeline stops as an actor of this thread would: its consumer leaves the group.
 */
import { Worker } from 'node:worker_threads';
import type { ActorLogic, AnyActorRef, Snapshot } from 'xstate';
import type { PersisterConfig } from '../src/config/index.js';
import type { MessageKind } from '../src/convert/index.js';
import type { InspectorBatch, InspectorHub } from '../src/observe/inspector.js';
import type { LogOptions } from '../src/observe/log.js';
import type { Counts, PartitionOffsets, TopicStats, WriteObservation } from '../src/observe/stats.js';
import { type Fault, FaultError } from '../src/ports/faults.js';
import type { Disconnect, HaltWriter, Stop, SupervisorReport } from './events.js';
import type { PipelineOutput } from './pipeline.js';

/** Where a pipeline is in the configuration: its topic's kind and its number among `num_processors`. */
export interface PipelinePlace {
  kind: MessageKind;
  index: number;
}

/** What the thread is started with (cloned into it). */
export interface ThreadData {
  place: PipelinePlace;
  config: PersisterConfig;
  log: LogOptions;
}

export interface ThreadedPipelineInput extends ThreadData {
  id: string;
  topic: string;
  /** The topic's counters in this thread: the pipeline's are added to them. */
  stats: TopicStats;
  /** The live inspector, when on: the thread's actors are added to it. */
  inspector?: InspectorHub;
  /** The thread's module (tests give their own); default src/pipeline-worker.ts. */
  entry?: URL;
}

const PIPELINE_WORKER = new URL('../src/pipeline-worker.js', import.meta.url);

/** supervisor -> thread */
export type PipelineCommand = Stop | Disconnect | HaltWriter;
/**
 * this actor -> thread, when the supervisor stops it (it ended, and its children with it): stop
 * the pipeline as a stopped actor stops (its consumer leaves the group), send the counters, end.
 */
export interface Abort {
  type: 'ABORT';
}

/** How long a stopped pipeline's thread may take to end by itself before it is terminated. */
const ABORT_GRACE_MS = 2_000;

/** An error as it crosses threads: its message and, when an adapter classified it, its fault. */
export interface ErrorData {
  name: string;
  message: string;
  fault?: Fault;
}

/** thread -> supervisor */
export type ThreadMessage =
  | { kind: 'report'; event: SupervisorReport }
  /** Counts since the last message; partitions as they are now; the writes since the last message. */
  | { kind: 'stats'; delta: Counts; partitions: [number, PartitionOffsets][]; writes: WriteObservation[] }
  /** What the thread's actors did, for the live inspector (only when it is on). */
  | { kind: 'inspect'; batch: InspectorBatch }
  /** `crashed`: the pipeline failed with an error (an actor error, exit 70), rather than ending with one in its output. */
  | { kind: 'done'; error?: ErrorData; crashed?: boolean };

type ThreadEvent = PipelineCommand | { type: 'thread.done'; output: PipelineOutput } | { type: 'thread.error'; error: unknown } | { type: 'xstate.stop' };

type ThreadSnapshot = Snapshot<PipelineOutput> & { input: ThreadedPipelineInput };

export function errorData(error: unknown): ErrorData {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fault = (error as { fault?: Fault }).fault;
  return fault ? { name: error.name, message: error.message, fault } : { name: error.name, message: error.message };
}

function reviveError(data: ErrorData): Error {
  const error = data.fault ? new FaultError(data.fault, data.message) : new Error(data.message);
  error.name = data.name;
  return error;
}

const threads = new WeakMap<AnyActorRef, Worker>();

export const threadedPipeline: ActorLogic<ThreadSnapshot, ThreadEvent, ThreadedPipelineInput> = {
  getInitialSnapshot: (_, input) => ({ status: 'active', output: undefined, error: undefined, input }),

  start: (snapshot, { self }) => {
    if (snapshot.status !== 'active') return;
    const { place, config, log, stats, entry, inspector } = snapshot.input;
    const data: ThreadData = { place, config, log };
    const worker = new Worker(entry ?? PIPELINE_WORKER, { workerData: data });
    threads.set(self, worker);
    worker.on('message', (m: ThreadMessage) => {
      if (m.kind === 'report') self._parent?.send(m.event);
      else if (m.kind === 'stats') {
        stats.add(m.delta);
        stats.mergePartitions(m.partitions);
        for (const w of m.writes) stats.wrote(w);
      } else if (m.kind === 'inspect') inspector?.add(m.batch);
      else if (m.crashed) self.send({ type: 'thread.error', error: reviveError(m.error ?? { name: 'Error', message: 'the pipeline failed' }) });
      else self.send({ type: 'thread.done', output: m.error ? { error: reviveError(m.error) } : {} });
    });
    worker.on('error', (error) => self.send({ type: 'thread.error', error }));
    worker.on('exit', (code) => self.send({ type: 'thread.error', error: new Error(`the pipeline's thread ended (exit code ${code}) before the pipeline`) }));
  },

  transition: (snapshot, event, { self }) => {
    if (snapshot.status !== 'active') return snapshot;
    switch (event.type) {
      case 'thread.done':
        void threads.get(self)?.terminate();
        return { ...snapshot, status: 'done', output: event.output };
      case 'thread.error':
        void threads.get(self)?.terminate();
        return { ...snapshot, status: 'error', error: event.error };
      case 'xstate.stop': {
        const worker = threads.get(self);
        if (worker) {
          worker.postMessage({ type: 'ABORT' } satisfies Abort);
          setTimeout(() => void worker.terminate(), ABORT_GRACE_MS).unref();
        }
        return { ...snapshot, status: 'stopped' };
      }
      default:
        threads.get(self)?.postMessage(event);
        return snapshot;
    }
  },

  getPersistedSnapshot: (snapshot) => snapshot,
};
