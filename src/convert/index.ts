/** The converter's whole job: a batch of raw Kafka message values in, lines per database and drops out. */
import { toAlarmPoint } from './alarm.js';
import { fastAlarm, fastMetric, releaseBytes } from './fast.js';
import { joinLines, type LineBlock } from './lines.js';
import { type Conversion, Drop, type DropKind, dropped, type Point } from './message.js';
import { toMetricPoint } from './metric.js';
import type { Json } from './python.js';

export { type Conversion, Drop, type DropKind, type Point } from './message.js';
export { toAlarmPoint } from './alarm.js';
export { toMetricPoint } from './metric.js';
export { type LineBlock, joinLines, linesIn, regroup, splitLines } from './lines.js';

export type MessageKind = 'metrics' | 'alarms';

/** `bytes`: what the text was decoded from, only when they are ASCII (one byte per char). */
const FAST: Record<MessageKind, (text: string, bytes?: Uint8Array) => Point | undefined> = {
  metrics: fastMetric,
  alarms: fastAlarm,
};

export const CONVERTERS: Record<MessageKind, (message: Json, text: string) => Conversion> = {
  metrics: toMetricPoint,
  alarms: toAlarmPoint,
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface DecodedMessage {
  json: Json;
  text: string;
}

/** Bytes of a Kafka message value -> its text, or why it cannot be read. */
function decodeText(value: Buffer | string | null): string | Drop {
  if (value === null || value.length === 0) return dropped('message value is empty', 'empty');
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    text = value.toString(); // UTF-8; without arguments, Buffer skips looking the encoding up
    if (text.includes('\ufffd')) {
      try {
        strictUtf8.decode(value);
      } catch {
        return dropped('message value is not valid UTF-8', 'not_utf8');
      }
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark is allowed
  return text;
}

function parse(text: string): DecodedMessage | Drop {
  try {
    return { json: JSON.parse(text) as Json, text };
  } catch (err) {
    return dropped(`message value is not JSON: ${(err as Error).message}`, 'not_json');
  }
}

/** One message value -> its conversion; never throws. */
export function convertMessage(kind: MessageKind, value: Buffer | string | null): Conversion {
  const text = decodeText(value);
  if (typeof text !== 'string') return text;
  // Text decoded from bytes is well formed; a string given as it is may hold a lone surrogate.
  if (typeof value === 'string') {
    if (text.isWellFormed()) {
      const point = FAST[kind](text);
      if (point !== undefined) return point;
    }
  } else if (value !== null) {
    // Valid UTF-8 (decodeText checked it) has as many bytes as UTF-16 code units only when it is
    // all ASCII; then the fast path may read the bytes too.
    const point = FAST[kind](text, text.length === value.length ? value : undefined);
    if (point !== undefined) return point;
  }
  return convertGeneral(kind, text);
}

/** The general converter alone, without the fast paths (which must agree with it). */
export function convertGeneral(kind: MessageKind, text: string): Conversion {
  const decoded = parse(text);
  if (decoded instanceof Drop) return decoded;
  try {
    return CONVERTERS[kind](decoded.json, decoded.text);
  } catch (err) {
    // e.g. a number JSON cannot hold where Python would refuse it, or nesting too deep to print
    return dropped(`message cannot be converted: ${(err as Error).message}`);
  }
}

export interface Routing {
  databaseName: string;
  dbPerTenant: boolean;
}

export function databaseFor(routing: Routing, tenantId: string): string {
  return routing.dbPerTenant ? `${routing.databaseName}_${tenantId}` : routing.databaseName;
}

/** A Kafka message as fetched: its value, and its key (kept for a dead letter). */
export interface SourceMessage {
  offset: string;
  value: Buffer | null;
  key?: Buffer | null;
}

export interface SourceBatch {
  partition: number;
  /** In offset order, as Kafka hands them out. */
  messages: readonly SourceMessage[];
}

export interface DroppedMessage {
  partition: number;
  reason: string;
  kind: DropKind;
  /** The message itself (for a dead letter). */
  message: SourceMessage;
}

/** A fetched batch after conversion: what to write, what was dropped, and what to commit once written. */
export interface ConvertedBatch {
  readonly partition: number;
  /** The offset to commit once this batch is stored: the last message's offset + 1. */
  readonly nextOffset: string;
  readonly messageCount: number;
  /** Lines of line protocol, per target database. */
  readonly lines: ReadonlyMap<string, LineBlock>;
  /**
   * Kept only when asked (refused points become dead letters): per database, the message of each
   * line, in the order of the lines (one line per message).
   */
  readonly origins?: ReadonlyMap<string, readonly SourceMessage[]>;
  readonly drops: readonly DroppedMessage[];
}

/** `keepOrigins`: remember which message each line came from (ConvertedBatch.origins). */
export function convertBatch(kind: MessageKind, batch: SourceBatch, routing: Routing, keepOrigins = false): ConvertedBatch {
  const lines = new Map<string, string[]>();
  const origins = keepOrigins ? new Map<string, SourceMessage[]>() : undefined;
  const drops: DroppedMessage[] = [];
  // the list of the last message's database: usually the next one's too (always, without db_per_tenant)
  let lastDb: string | undefined;
  let lastList: string[] = [];
  let lastOrigins: SourceMessage[] = [];
  for (const m of batch.messages) {
    const c = convertMessage(kind, m.value);
    if (c instanceof Drop) {
      drops.push({ partition: batch.partition, reason: c.reason, kind: c.kind, message: m });
      continue;
    }
    const db = databaseFor(routing, c.tenantId);
    if (db !== lastDb) {
      lastDb = db;
      let list = lines.get(db);
      if (list === undefined) lines.set(db, (list = []));
      lastList = list;
      if (origins !== undefined) {
        let from = origins.get(db);
        if (from === undefined) origins.set(db, (from = []));
        lastOrigins = from;
      }
    }
    lastList.push(c.line);
    if (origins !== undefined) lastOrigins.push(m);
  }
  releaseBytes();
  const blocks = new Map<string, LineBlock>();
  for (const [db, list] of lines) blocks.set(db, joinLines(list));
  const last = batch.messages[batch.messages.length - 1];
  return {
    partition: batch.partition,
    nextOffset: last ? (BigInt(last.offset) + 1n).toString() : '0',
    messageCount: batch.messages.length,
    lines: blocks,
    ...(origins && { origins }),
    drops,
  };
}
