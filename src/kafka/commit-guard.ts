/**
 * Which stored offsets may be committed, across rebalances. A batch fetched before a rebalance can be
 * stored after it; committing its offset then could move the group's offset backwards (another
 * member, or this one in a new assignment, may have committed further). So, per partition of the
 * current assignment, a commit must be ahead of both this member's last commit and the first offset
 * fetched since the assignment (which is where the group stood). Offsets of partitions not assigned
 * now, or not fetched yet in this assignment, are not committed: those messages are read again.
 */
import type { PartitionOffset } from '../ports/kafka.js';

export class CommitGuard {
  private assigned = new Set<number>();
  /** Per partition: the lowest offset a commit must exceed in this assignment. */
  private readonly floor = new Map<number, bigint>();

  /** A new assignment (the group was joined). */
  assign(partitions: readonly number[]): void {
    this.assigned = new Set(partitions);
    this.floor.clear();
  }

  /** The first message of a batch fetched in the current assignment. */
  fetched(partition: number, firstOffset: string): void {
    if (!this.floor.has(partition)) this.floor.set(partition, BigInt(firstOffset));
  }

  /** The offsets worth committing now. */
  admit(offsets: readonly PartitionOffset[]): PartitionOffset[] {
    return offsets.filter((o) => {
      const floor = this.floor.get(o.partition);
      return this.assigned.has(o.partition) && floor !== undefined && BigInt(o.offset) > floor;
    });
  }

  /** Committed: later commits must be ahead of these. */
  committed(offsets: readonly PartitionOffset[]): void {
    for (const o of offsets) {
      const next = BigInt(o.offset);
      if (next > (this.floor.get(o.partition) ?? -1n)) this.floor.set(o.partition, next);
    }
  }
}
