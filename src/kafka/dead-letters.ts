/** The dead-letter topic behind DeadLetterPort (src/dead-letter.ts): a kafkajs producer; every error it passes on is classified. */
import { type Message, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { DeadLetter, DeadLetterPort } from '../dead-letter.js';
import { Fault, FaultError } from '../ports/faults.js';
import { kafkaClient } from './client.js';
import { causes } from '../tls.js';
import { classifyKafkaError } from './errors.js';
import type { KafkaClientSecurity } from './security.js';

export interface DeadLetterTopicOptions {
  brokers: string[];
  security?: KafkaClientSecurity;
  clientId: string;
  topic: string;
  log: Logger;
}

/**
 * The most bytes of letters in one produce request: well below a broker's default limit of a
 * record batch (message.max.bytes, 1 MiB), so that a flood of large letters is never refused as a
 * whole.
 */
const MAX_REQUEST_BYTES = 512 * 1024;

function toMessage(letter: DeadLetter): Message {
  return { key: letter.key, value: letter.value, headers: { ...letter.headers } };
}

function sizeOf(letter: DeadLetter): number {
  let n = (letter.key?.length ?? 0) + (letter.value?.length ?? 0);
  for (const [k, v] of Object.entries(letter.headers)) n += k.length + Buffer.byteLength(v);
  return n;
}

/** Letters in consecutive requests of at most MAX_REQUEST_BYTES (a larger letter alone). */
export function* requests(letters: readonly DeadLetter[]): Generator<DeadLetter[]> {
  let chunk: DeadLetter[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const size = sizeOf(letter);
    if (chunk.length > 0 && bytes + size > MAX_REQUEST_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(letter);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** Broker answers that no retry mends: the topic's settings must change. */
const REFUSED_FOR_GOOD: Readonly<Record<string, string>> = {
  MESSAGE_TOO_LARGE: "a dead letter is larger than the topic accepts: raise the topic's max.message.bytes (and the brokers' message.max.bytes)",
  RECORD_LIST_TOO_LARGE: "a dead letter is larger than the topic accepts: raise the topic's max.message.bytes (and the brokers' message.max.bytes)",
  INVALID_TOPIC_EXCEPTION: 'the topic name is not valid: fix [dead_letter] topic',
};

/** What the writer is told when letters cannot be sent: what kind of fault, and what to do. */
export function classifyDeadLetterError(error: unknown, topic: string): FaultError {
  const fault = classifyKafkaError(error, `${topic} (dead letters)`, [], 'write on the topic');
  if (fault.fault === Fault.CONFIGURATION) return fault;
  const what = error instanceof Error ? error.message : String(error);
  for (const e of causes(error)) {
    const fix = typeof e.type === 'string' ? REFUSED_FOR_GOOD[e.type] : undefined;
    if (fix) return new FaultError(Fault.CONFIGURATION, `dead-letter topic ${topic} refused the letters (${e.type}): ${fix}`, { cause: error });
  }
  // As for InfluxDB: out of reach (a stop does not wait for it), or a passing failure.
  const unreachable = [...causes(error)].some((e) => e.name === 'KafkaJSConnectionError');
  return new FaultError(unreachable ? Fault.UNREACHABLE : Fault.TRANSIENT, `dead-letter topic ${topic} cannot be written: ${what}`, { cause: error });
}

export class KafkaDeadLetters implements DeadLetterPort {
  private readonly producer: Producer;
  private connecting?: Promise<void>;
  private closed = false;

  constructor(private readonly options: DeadLetterTopicOptions) {
    const kafka = kafkaClient({
      ...options,
      // The writer tries a failed post again with its own backoff, and then its pipeline restarts it.
      tuning: { retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 3_000 } },
    });
    // Not idempotent: that needs retries without end, and a post must fail in time for the writer
    // to act. A request sent again after its answer was lost may write its letters twice (at least
    // once; replaying a letter twice writes the same point twice, harmlessly).
    this.producer = kafka.producer({ allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner });
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (this.closed) throw new FaultError(Fault.TRANSIENT, `dead-letter topic ${this.options.topic}: the producer is closed`);
    try {
      this.connecting ??= this.producer.connect();
      await this.connecting;
      for (const chunk of requests(letters)) {
        await this.producer.send({ topic: this.options.topic, acks: -1, messages: chunk.map(toMessage) });
      }
    } catch (error) {
      this.connecting = undefined;
      throw classifyDeadLetterError(error, this.options.topic);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.producer.disconnect();
  }
}
