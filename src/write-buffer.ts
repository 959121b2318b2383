/**
 * Converted batches written together in one store call: their lines per database and, per
 * partition, the offset to commit once they are stored. It never changes the batches it is made
 * of: a database's lines are the blocks of the batches, in order.
 */
import type { ConvertedBatch, LineBlock } from './convert/index.js';
import type { PartitionOffset } from './ports/kafka.js';
import type { StoreReport } from './ports/store.js';

export class WriteBuffer {
  readonly lines: ReadonlyMap<string, readonly LineBlock[]>;
  /** Per partition, the highest offset to commit. */
  readonly offsets: readonly PartitionOffset[];
  readonly messageCount: number;
  /** Set once its lines are stored: another attempt (the dead letters failed) does not write them again. */
  report?: StoreReport;

  constructor(readonly batches: readonly ConvertedBatch[]) {
    const lines = new Map<string, LineBlock[]>();
    const next = new Map<number, bigint>();
    let messages = 0;
    for (const b of batches) {
      messages += b.messageCount;
      for (const [db, block] of b.lines) {
        const mine = lines.get(db);
        if (mine) mine.push(block);
        else lines.set(db, [block]);
      }
      const offset = BigInt(b.nextOffset);
      if (offset > (next.get(b.partition) ?? -1n)) next.set(b.partition, offset);
    }
    this.lines = lines;
    this.offsets = [...next].map(([partition, offset]) => ({ partition, offset: offset.toString() }));
    this.messageCount = messages;
  }
}

/** Messages in some converted batches. */
export function messagesIn(batches: readonly ConvertedBatch[]): number {
  let n = 0;
  for (const b of batches) n += b.messageCount;
  return n;
}
