/** What the consumer actor needs of Kafka; src/kafka/consumer.ts implements it with kafkajs, tests with a fake. */

export interface FetchedMessage {
  offset: string;
  value: Buffer | null;
  key?: Buffer | null;
}

export interface FetchedBatch {
  topic: string;
  partition: number;
  messages: FetchedMessage[];
  /** The partition's high watermark (the offset after its last message) when it was fetched. */
  highWatermark?: string;
}

export interface PartitionOffset {
  partition: number;
  /** The next offset to read: last stored offset + 1. */
  offset: string;
}

/** Hands one fetched batch on; `heartbeat` keeps the group membership alive while it waits. */
export type BatchHandler = (batch: FetchedBatch, heartbeat: () => Promise<void>) => Promise<void>;

/**
 * `joined`: the group was joined (after a start or a rebalance); `contact`: a broker answered
 * (a fetch, a heartbeat, a commit). No contact for a while means Kafka is out of reach.
 */
export type KafkaStatus = 'joined' | 'contact';

/** What run() rejects with and onCrash reports is classified (src/ports/faults.ts). */
export interface KafkaConsumerPort {
  /** Connects, joins the group, subscribes and calls `handler` for each fetched batch. */
  run(handler: BatchHandler): Promise<void>;
  /** Commits offsets of the topic; never moves a partition's committed offset backwards. */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /** Stops / restarts fetching the topic; harmless before run() is active. */
  pause(): void;
  resume(): void;
  disconnect(): Promise<void>;
  /** Called when the client gives up for good (it will not fetch again). */
  onCrash(listener: (error: Error) => void): void;
  onStatus(listener: (status: KafkaStatus) => void): void;
}
