/** What the writer actor needs of the database; src/influx/store.ts implements it for InfluxDB 1.x. */
import type { LineBlock } from '../convert/lines.js';

/** One point the database refused for good. */
export interface Refusal {
  database: string;
  /** The line as it was written. */
  line: string;
  /** The database's words. */
  error: string;
}

export interface StoreReport {
  stored: number;
  /** Points the database refused for good (the rest of their batch was stored). */
  refused: number;
  /** The refused points one by one, as far as they are known (see StoreOptions.traceRefusals). */
  refusals: Refusal[];
}

export interface BatchStore {
  /**
   * Resolves once every line is stored or refused for good; rejects with a classified error
   * (src/ports/faults.ts) otherwise. Writing the same lines again is harmless.
   */
  store(lines: ReadonlyMap<string, readonly LineBlock[]>, signal?: AbortSignal): Promise<StoreReport>;
}
