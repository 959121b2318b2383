/**
 * What one topic's pipelines did, logged as progress while running and as a summary at the end,
 * and read by the metrics (src/observe/metrics.ts). Actors only add to it (a sink, like the log);
 * everything else reads it. A pipeline on a worker thread has its own, sent to the main thread's
 * every second: counts as differences (add), partitions as they are (mergePartitions), writes as a
 * list (wrote).
 */
import type { DropKind } from '../convert/message.js';

export interface Counts {
  fetched: number;
  /** Points InfluxDB acknowledged. */
  stored: number;
  /** Messages the converter dropped (malformed, or not storable in InfluxDB), by kind (TopicStats.dropped: all). */
  droppedEmpty: number;
  droppedNotUtf8: number;
  droppedNotJson: number;
  droppedInvalid: number;
  /** Points InfluxDB refused while storing the rest of their batch. */
  refused: number;
  /** Dropped or refused messages the dead-letter topic acknowledged. */
  deadLettered: number;
  /** Messages whose offsets were committed. */
  committed: number;
  writes: number;
}

export const NO_COUNTS: Readonly<Counts> = Object.freeze({
  fetched: 0,
  stored: 0,
  droppedEmpty: 0,
  droppedNotUtf8: 0,
  droppedNotJson: 0,
  droppedInvalid: 0,
  refused: 0,
  deadLettered: 0,
  committed: 0,
  writes: 0,
});

/** The field of Counts of each kind of drop. */
export const DROPPED_FIELD: Readonly<Record<DropKind, keyof Counts>> = {
  empty: 'droppedEmpty',
  not_utf8: 'droppedNotUtf8',
  not_json: 'droppedNotJson',
  invalid: 'droppedInvalid',
};

/** One store of a batch in InfluxDB. */
export interface WriteObservation {
  seconds: number;
  /** Messages of the batch (stored, refused and dropped ones). */
  messages: number;
}

/** Offsets of a partition: the end of the log when it was last fetched, and what is committed. */
export interface PartitionOffsets {
  /** The partition's high watermark, as the last fetched batch gave it. */
  highWatermark?: string;
  /** The next offset to read after the last commit; before any commit, the first offset fetched. */
  committed?: string;
}

/** Who is told of each write as it happens (the metrics' histograms). */
export type WriteListener = (topic: string, write: WriteObservation) => void;

export class TopicStats implements Readonly<Counts> {
  fetched = 0;
  stored = 0;
  droppedEmpty = 0;
  droppedNotUtf8 = 0;
  droppedNotJson = 0;
  droppedInvalid = 0;
  refused = 0;
  deadLettered = 0;
  committed = 0;
  writes = 0;
  readonly partitions = new Map<number, PartitionOffsets>();
  private readonly writeListeners: WriteListener[] = [];

  constructor(readonly topic: string) {}

  add(delta: Partial<Counts>): void {
    for (const k of Object.keys(delta) as (keyof Counts)[]) this[k] += delta[k] ?? 0;
  }

  /** Messages the converter dropped, of every kind. */
  get dropped(): number {
    return this.droppedEmpty + this.droppedNotUtf8 + this.droppedNotJson + this.droppedInvalid;
  }

  /** Drops of a converted batch, by kind. */
  addDrops(kinds: Iterable<DropKind>): void {
    for (const kind of kinds) this[DROPPED_FIELD[kind]]++;
  }

  /** A batch was fetched from `partition`, starting at `firstOffset`, with the partition's end at `highWatermark`. */
  fetchedBatch(partition: number, firstOffset: string, highWatermark: string | undefined): void {
    const p = this.partition(partition);
    if (highWatermark !== undefined) p.highWatermark = highWatermark;
    p.committed ??= firstOffset;
  }

  /** Offsets were committed (each the next one to read). */
  committedOffsets(offsets: readonly { partition: number; offset: string }[]): void {
    for (const o of offsets) this.partition(o.partition).committed = o.offset;
  }

  /** Partitions as another thread's stats gave them. */
  mergePartitions(partitions: Iterable<[number, PartitionOffsets]>): void {
    for (const [n, p] of partitions) this.partitions.set(n, { ...this.partition(n), ...p });
  }

  onWrite(listener: WriteListener): void {
    this.writeListeners.push(listener);
  }

  /** A write happened (it is counted with add({ writes: 1 }), which crosses threads as a difference). */
  wrote(write: WriteObservation): void {
    for (const l of this.writeListeners) l(this.topic, write);
  }

  /** Messages behind the end of each partition (high watermark minus committed offset), as far as known. */
  lag(): { partition: number; messages: number }[] {
    const out: { partition: number; messages: number }[] = [];
    for (const [partition, p] of this.partitions) {
      if (p.highWatermark === undefined || p.committed === undefined) continue;
      const behind = BigInt(p.highWatermark) - BigInt(p.committed);
      out.push({ partition, messages: behind > 0n ? Number(behind) : 0 });
    }
    return out.sort((a, b) => a.partition - b.partition);
  }

  counts(): Counts {
    const c = { ...NO_COUNTS };
    for (const k of Object.keys(c) as (keyof Counts)[]) c[k] = this[k];
    return c;
  }

  snapshot() {
    return { topic: this.topic, ...this.counts(), dropped: this.dropped };
  }

  private partition(n: number): PartitionOffsets {
    let p = this.partitions.get(n);
    if (p === undefined) this.partitions.set(n, (p = {}));
    return p;
  }
}

/** Counts `now` minus counts `before`. */
export function countsSince(now: Counts, before: Counts): Counts {
  const d = { ...NO_COUNTS };
  for (const k of Object.keys(d) as (keyof Counts)[]) d[k] = now[k] - before[k];
  return d;
}
