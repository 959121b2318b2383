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
import { splitLines } from './convert/lines.js';
import type { ConvertedBatch, SourceMessage } from './convert/index.js';
import type { Refusal } from './ports/store.js';

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
        error,
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
  async post(batches: readonly ConvertedBatch[], refusals: readonly Refusal[]): Promise<number> {
    const letters = this.lettersOf(batches, refusals);
    if (letters.length > 0) await this.port.send(letters);
    return letters.length;
  }

  close(): Promise<void> {
    return this.port.close();
  }
}
