/** The kafkajs consumer behind the consumer port (src/ports/kafka.ts); every error it passes on is classified. */
import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import type { BatchHandler, KafkaConsumerPort, KafkaStatus, PartitionOffset } from '../ports/kafka.js';
import type { FaultError } from '../ports/faults.js';
import { kafkaClient } from './client.js';
import { CommitGuard } from './commit-guard.js';
import { afterWorking, classifyKafkaError, passCrashOn } from './errors.js';
import type { KafkaClientSecurity } from './security.js';

export interface KafkaConsumerOptions {
  brokers: string[];
  /** TLS and SASL (security.ts); none: PLAINTEXT. */
  security?: KafkaClientSecurity;
  clientId: string;
  groupId: string;
  topic: string;
  log: Logger;
}

/**
 * The most a fetch takes of one partition. kafkajs's default (1 MiB) keeps several MiB of fetch
 * responses alive per pipeline (each message's value is a slice of its response); a quarter of it
 * drains a backlog as fast, with about 15 MiB less resident memory (bench/README.md "Levers").
 * `[kafka] fetch_size_bytes`, `buffer_size` and `max_buffer_size` are the old client's settings,
 * which the reference's default client ignores too.
 */
const MAX_BYTES_PER_PARTITION = 256 * 1024;

export class KafkaTopicConsumer implements KafkaConsumerPort {
  private readonly consumer: Consumer;
  private readonly guard = new CommitGuard();
  private readonly crashListeners: ((error: Error) => void)[] = [];
  private readonly statusListeners: ((status: KafkaStatus) => void)[] = [];
  private starting?: Promise<void>;
  private closing = false;
  /** Partitions of the current assignment (named when a fetch fails). */
  private assigned: readonly number[] = [];
  /** The group was joined once: the settings work. */
  private joined = false;

  constructor(private readonly options: KafkaConsumerOptions) {
    const kafka = kafkaClient(options);
    this.consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 500, maxBytesPerPartition: MAX_BYTES_PER_PARTITION });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = payload.memberAssignment[options.topic] ?? [];
      this.guard.assign(mine);
      this.assigned = mine;
      this.joined = true;
      options.log.info({ partitions: mine }, 'joined consumer group');
      for (const l of this.statusListeners) l('joined');
    });
    const contact = () => {
      for (const l of this.statusListeners) l('contact');
    };
    // Any answer of a broker counts (REQUEST is emitted for each response).
    for (const e of [this.consumer.events.REQUEST, this.consumer.events.FETCH, this.consumer.events.HEARTBEAT, this.consumer.events.COMMIT_OFFSETS]) {
      this.consumer.on(e, contact);
    }
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      const error = this.classify(payload.error);
      if (!passCrashOn(error, payload.restart)) return;
      for (const l of this.crashListeners) l(error);
    });
  }

  onCrash(listener: (error: Error) => void): void {
    this.crashListeners.push(listener);
  }

  onStatus(listener: (status: KafkaStatus) => void): void {
    this.statusListeners.push(listener);
  }

  async run(handler: BatchHandler): Promise<void> {
    try {
      await this.start(handler);
    } catch (error) {
      throw this.classify(error);
    }
  }

  private async start(handler: BatchHandler): Promise<void> {
    this.starting = (async () => {
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    })();
    await this.starting;
    if (this.closing) return;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        if (batch.messages.length === 0) return;
        this.guard.fetched(batch.partition, batch.messages[0].offset);
        await handler({ topic: batch.topic, partition: batch.partition, messages: batch.messages, highWatermark: batch.highWatermark }, heartbeat);
      },
    });
  }

  private classify(error: unknown): FaultError {
    const fault = classifyKafkaError(error, this.options.topic, this.assigned);
    return this.joined ? afterWorking(fault) : fault;
  }

  async commit(offsets: readonly PartitionOffset[]): Promise<void> {
    const admitted = this.guard.admit(offsets);
    if (admitted.length === 0) return;
    await this.consumer.commitOffsets(admitted.map((o) => ({ topic: this.options.topic, partition: o.partition, offset: o.offset })));
    this.guard.committed(admitted);
  }

  pause(): void {
    whenRunning(() => this.consumer.pause([{ topic: this.options.topic }]));
  }

  resume(): void {
    whenRunning(() => this.consumer.resume([{ topic: this.options.topic }]));
  }

  async disconnect(): Promise<void> {
    this.closing = true;
    await this.starting?.catch(() => undefined); // a stop right after start waits for the connection
    await this.consumer.disconnect();
  }
}

/** kafkajs's pause() and resume() throw before run() is active: nothing is being fetched then. */
function whenRunning(call: () => void): void {
  try {
    call();
  } catch {
    // not running yet
  }
}
