/**
 * Dead letters: every message that is dropped (by the converter) or refused (by InfluxDB) is sent,
 * as it was read, to the dead-letter topic (`[dead_letter]`), before its offset is committed. The
 * writer posts them once a write buffer's lines are stored; a dead-letter topic that cannot be
 * written fails the write like InfluxDB being down, so nothing is committed past it.
 *
 * A dead letter carries the message's key and value, and headers that say where it came from and
 * why it is there: `reason` (the kind of drop: empty, not_utf8, not_json, invalid, refused),
 * `error` (the converter's or InfluxDB's words), `source_topic`, `source_partition`,
 * `source_offset` and `persister_version`.
 */
import type { DeadLetterConfig, TopicConfig } from './config/index.js';
import { splitLines } from './convert/lines.js';
import type { ConvertedBatch, SourceMessage } from './convert/index.js';
import type { Refusal, StoreReport } from './ports/store.js';

/** The longest `error` header: InfluxDB's words quote the line, which may be as long as the message. */
const MAX_ERROR_CHARS = 1000;

export const DEAD_LETTER_REASONS = ['empty', 'not_utf8', 'not_json', 'invalid', 'refused'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export interface DeadLetterHeaders {
  reason: DeadLetterReason;
  error: string;
  source_topic: string;
  source_partition: string;
  source_offset: string;
  persister_version: string;
}

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: DeadLetterHeaders;
}

/** The brokers of the dead letters of a topic: [dead_letter] uri, or else the topic's own. */
export function deadLetterBrokers(deadLetter: DeadLetterConfig, topic: TopicConfig): string[] {
  return deadLetter.uri ?? topic.uri;
}

/**
 * Where the dead letters of some topics are: each distinct cluster (brokers and identity) once,
 * with the settings (client id, security) of its first topic.
 */
export function deadLetterClusters(deadLetter: DeadLetterConfig, topics: readonly TopicConfig[]): { brokers: string[]; settings: TopicConfig }[] {
  const clusters = new Map<string, { brokers: string[]; settings: TopicConfig }>();
  for (const topic of topics) {
    const brokers = deadLetterBrokers(deadLetter, topic);
    const key = `${brokers.join(',')} ${topic.securityProtocol} ${topic.saslPlainUsername ?? ''}`;
    if (!clusters.has(key)) clusters.set(key, { brokers, settings: topic });
  }
  return [...clusters.values()];
}

/** Where dead letters go: src/kafka/dead-letters.ts sends them to a Kafka topic. */
export interface DeadLetterPort {
  /** Resolves once Kafka acknowledged every letter; rejects with a classified error (src/ports/faults.ts). */
  send(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/** The refused lines' messages, found through the batches' origins (one line per message). */
export function refusedMessages(batches: readonly ConvertedBatch[], refusals: readonly Refusal[]): { partition: number; message: SourceMessage; error: string }[] {
  if (refusals.length === 0) return [];
  const keyOf = (database: string, line: string) => `${database}\n${line}`;
  const wanted = new Set(refusals.map((r) => keyOf(r.database, r.line)));
  const databases = new Set(refusals.map((r) => r.database));
  // Identical lines of several messages are refused one by one: each takes the next of its messages.
  const sources = new Map<string, { partition: number; message: SourceMessage }[]>();
  for (const batch of batches) {
    for (const [database, block] of batch.lines) {
      const origins = batch.origins?.get(database);
      if (origins === undefined || !databases.has(database)) continue;
      splitLines(block).forEach((line, i) => {
        const key = keyOf(database, line);
        if (!wanted.has(key)) return;
        let list = sources.get(key);
        if (list === undefined) sources.set(key, (list = []));
        list.push({ partition: batch.partition, message: origins[i] });
      });
    }
  }
  return refusals.map((r) => {
    const source = sources.get(keyOf(r.database, r.line))?.shift();
    // Only if the batches were converted without origins: a defect, never a silent loss.
    if (source === undefined) throw new Error(`a refused point cannot be traced to its message (database ${r.database}): ${r.line.slice(0, 200)}`);
    return { ...source, error: r.error };
  });
}

/** Sends what a write buffer dropped and what InfluxDB refused of it to the dead-letter topic. */
export class DeadLetterOffice {
  constructor(
    private readonly port: DeadLetterPort,
    /** The topic the messages were read from. */
    private readonly sourceTopic: string,
    private readonly version: string,
  ) {}

  /** The dead letters of some stored batches: the converter's drops, then InfluxDB's refusals. */
  lettersOf(batches: readonly ConvertedBatch[], refusals: readonly Refusal[]): DeadLetter[] {
    const letter = (partition: number, message: SourceMessage, reason: DeadLetterReason, error: string): DeadLetter => ({
      key: message.key ?? null,
      value: message.value,
      headers: {
        reason,
        error: error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS)}...` : error,
        source_topic: this.sourceTopic,
        source_partition: String(partition),
        source_offset: message.offset,
        persister_version: this.version,
      },
    });
    const letters: DeadLetter[] = [];
    for (const b of batches) for (const d of b.drops) letters.push(letter(d.partition, d.message, d.kind, d.reason));
    for (const r of refusedMessages(batches, refusals)) letters.push(letter(r.partition, r.message, 'refused', r.error));
    return letters;
  }

  /** Resolves with the number of letters once Kafka acknowledged them all. */
  async post(batches: readonly ConvertedBatch[], stored: StoreReport): Promise<number> {
    // Refusals only counted (the store did not trace them) would have no letter: a defect, never a silent loss.
    if (stored.refusals.length !== stored.refused) throw new Error(`${stored.refused} points refused but ${stored.refusals.length} known: refusals must be traced`);
    const letters = this.lettersOf(batches, stored.refusals);
    if (letters.length > 0) await this.port.send(letters);
    return letters.length;
  }

  close(): Promise<void> {
    return this.port.close();
  }
}
