/** Counters of one topic's pipelines, logged as progress while running and as a summary at the end. */
export class TopicStats {
  fetched = 0;
  /** Points InfluxDB acknowledged. */
  stored = 0;
  /** Messages the converter dropped (malformed, or not storable in InfluxDB). */
  dropped = 0;
  /** Points InfluxDB refused while storing the rest of their batch. */
  refused = 0;
  /** Messages whose offsets were committed. */
  committed = 0;
  writes = 0;

  constructor(readonly topic: string) {}

  snapshot() {
    const { topic, fetched, stored, dropped, refused, committed, writes } = this;
    return { topic, fetched, stored, dropped, refused, committed, writes };
  }
}
