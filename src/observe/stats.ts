/**
 * Counters of one topic's pipelines, logged as progress while running and as a summary at the end.
 * Actors only add to them (a sink, like the log); everything else reads them.
 */
export interface Counts {
  fetched: number;
  /** Points InfluxDB acknowledged. */
  stored: number;
  /** Messages the converter dropped (malformed, or not storable in InfluxDB). */
  dropped: number;
  /** Points InfluxDB refused while storing the rest of their batch. */
  refused: number;
  /** Messages whose offsets were committed. */
  committed: number;
  writes: number;
}

export class TopicStats implements Readonly<Counts> {
  fetched = 0;
  stored = 0;
  dropped = 0;
  refused = 0;
  committed = 0;
  writes = 0;

  constructor(readonly topic: string) {}

  add(delta: Partial<Counts>): void {
    this.fetched += delta.fetched ?? 0;
    this.stored += delta.stored ?? 0;
    this.dropped += delta.dropped ?? 0;
    this.refused += delta.refused ?? 0;
    this.committed += delta.committed ?? 0;
    this.writes += delta.writes ?? 0;
  }

  snapshot() {
    const { topic, fetched, stored, dropped, refused, committed, writes } = this;
    return { topic, fetched, stored, dropped, refused, committed, writes };
  }
}
