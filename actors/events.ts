/** Events that travel between the actors. Each carries a batch, never a single message. */
import type { ConvertedBatch } from '../src/convert/index.js';
import type { Fault } from '../src/ports/faults.js';
import type { FetchedBatch, PartitionOffset } from '../src/ports/kafka.js';

// ---- within a pipeline

/** consumer -> pipeline -> converter */
export interface BatchFetched {
  type: 'BATCH_FETCHED';
  batch: FetchedBatch;
}
/** converter -> pipeline -> writer */
export interface BatchConverted {
  type: 'BATCH_CONVERTED';
  batch: ConvertedBatch;
}
/** writer -> pipeline -> consumer: these messages are stored (or dropped for good); commit them. */
export interface BatchStored {
  type: 'BATCH_STORED';
  offsets: readonly PartitionOffset[];
  messageCount: number;
}
/** consumer -> pipeline: it joined its group. */
export interface ConsumerReady {
  type: 'CONSUMER_READY';
}
/** consumer -> pipeline: a Kafka broker answered (at most every `contactEveryMs`). */
export interface KafkaContact {
  type: 'KAFKA_CONTACT';
}
/** consumer -> pipeline: stopping, and every handed-off message is stored and committed. */
export interface ConsumerDrained {
  type: 'CONSUMER_DRAINED';
}
/** pipeline -> consumer: hold fetching (the writer is down) / fetch again. */
export interface Pause {
  type: 'PAUSE';
}
export interface Resume {
  type: 'RESUME';
}
/** pipeline -> consumer: stop fetching; report CONSUMER_DRAINED once what was handed on is committed. */
export interface StopFetching {
  type: 'STOP_FETCHING';
}
/** pipeline -> writer: write what is pending now, and from now on every batch as soon as it comes. */
export interface Flush {
  type: 'FLUSH';
}

// ---- between the supervisor and its pipelines

/** supervisor -> pipeline, and the process's signal handler -> supervisor */
export interface Stop {
  type: 'STOP';
}
/** supervisor -> pipeline -> consumer, once every pipeline is drained: leave the group. */
export interface Disconnect {
  type: 'DISCONNECT';
}
/** supervisor -> pipeline whose writer is down: do not restart it (too many restarts); hold what it has. */
export interface HaltWriter {
  type: 'HALT_WRITER';
}
/** pipeline -> supervisor: its consumer joined the group. */
export interface PipelineReady {
  type: 'PIPELINE_READY';
  pipeline: string;
}
/** pipeline -> supervisor: a broker of its topic answered. */
export interface PipelineKafkaContact {
  type: 'KAFKA_CONTACT';
  pipeline: string;
}
/** pipeline -> supervisor: its writer failed; it will restart it after a backoff. Its consumer is paused. */
export interface WriterDown {
  type: 'WRITER_DOWN';
  pipeline: string;
  reason: string;
}
/** pipeline -> supervisor: it restarted its writer (restarts count towards the restart intensity). */
export interface WriterRestarted {
  type: 'WRITER_RESTARTED';
  pipeline: string;
}
/**
 * pipeline -> supervisor: its writer failed and will not be restarted: a configuration fault, or a
 * failure during a stop (nothing more can be stored). What it holds stays uncommitted.
 */
export interface WriterHalted {
  type: 'WRITER_HALTED';
  pipeline: string;
  fault: Fault | undefined;
  reason: string;
  /** Messages fetched and not stored. */
  unstored: number;
}
/** pipeline -> supervisor: stopping, and everything fetched is stored and committed. */
export interface PipelineDrained {
  type: 'PIPELINE_DRAINED';
  pipeline: string;
}
export type SupervisorReport = PipelineReady | PipelineKafkaContact | WriterDown | WriterRestarted | WriterHalted | PipelineDrained;

export type ConsumerEvent = BatchStored | StopFetching | Disconnect | Pause | Resume;
export type ConverterEvent = BatchFetched;
export type WriterEvent = BatchConverted | Flush;
