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
/** consumer -> pipeline: every handed-off message is committed and the client disconnected. */
export interface ConsumerStopped {
  type: 'CONSUMER_STOPPED';
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

export type ConsumerEvent = BatchStored | StopFetching;
export type ConverterEvent = BatchFetched;
export type WriterEvent = BatchConverted | Flush;
export type PipelineEvent = BatchFetched | BatchConverted | BatchStored | KafkaFailed | ConsumerStopped | Stop;
