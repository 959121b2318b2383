/** Events that travel between the actors of a pipeline. Each carries a batch, never a single message. */
import type { ConvertedBatch } from '../src/convert/index.js';
import type { FetchedBatch, PartitionOffset } from '../src/kafka/consumer.js';

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
  offsets: PartitionOffset[];
  messageCount: number;
}
/** consumer -> pipeline: the Kafka client gave up. */
export interface KafkaFailed {
  type: 'KAFKA_FAILED';
  error: Error;
}
/** consumer -> pipeline: stopping, and every handed-off message is stored and committed. */
export interface ConsumerDrained {
  type: 'CONSUMER_DRAINED';
}
/** consumer -> pipeline: the client left the group and disconnected. */
export interface ConsumerStopped {
  type: 'CONSUMER_STOPPED';
}
/** pipeline -> supervisor: stopping, and everything fetched is stored and committed. */
export interface PipelineDrained {
  type: 'PIPELINE_DRAINED';
  pipeline: string;
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
/** pipeline -> supervisor: its writer failed; its consumer is paused and nothing unstored is committed. */
export interface WriterDown {
  type: 'WRITER_DOWN';
  pipeline: string;
  error: unknown;
}
/** pipeline -> supervisor: a restarted writer stored its first batch. */
export interface WriterRecovered {
  type: 'WRITER_RECOVERED';
  pipeline: string;
}
export type SupervisorReport = PipelineDrained | PipelineReady | PipelineKafkaContact | WriterDown | WriterRecovered;
/** supervisor -> pipeline -> consumer, once every pipeline is drained: leave the group. */
export interface Disconnect {
  type: 'DISCONNECT';
}
/** consumer -> pipeline -> supervisor (as PIPELINE_READY): the consumer joined its group. */
export interface ConsumerReady {
  type: 'CONSUMER_READY';
}
/** consumer -> pipeline -> supervisor (with the pipeline's id): a Kafka broker answered. */
export interface KafkaContact {
  type: 'KAFKA_CONTACT';
}
/** pipeline -> consumer: hold fetching (the writer is down) / fetch again. */
export interface Pause {
  type: 'PAUSE';
}
export interface Resume {
  type: 'RESUME';
}
/** supervisor -> pipeline: start a new writer, handing it what the failed one could not store. */
export interface RestartWriter {
  type: 'RESTART_WRITER';
}
/** pipeline -> consumer */
export interface StopFetching {
  type: 'STOP_FETCHING';
}
/** pipeline -> writer: write what is pending now, and from now on every batch as soon as it comes. */
export interface Flush {
  type: 'FLUSH';
}
/** supervisor -> pipeline, and the process's signal handler -> supervisor */
export interface Stop {
  type: 'STOP';
}

export type ConsumerEvent = BatchStored | StopFetching | Disconnect | Pause | Resume;
export type ConverterEvent = BatchFetched;
export type WriterEvent = BatchConverted | Flush;
export type PipelineEvent =
  | ConsumerReady
  | KafkaContact
  | RestartWriter
  | BatchFetched
  | BatchConverted
  | BatchStored
  | KafkaFailed
  | ConsumerDrained
  | ConsumerStopped
  | Stop
  | Disconnect;
