/** What the writer actor needs of the database; src/influx/store.ts implements it for InfluxDB 1.x. */
import type { LineBlock } from '../convert/lines.js';

export interface StoreReport {
  stored: number;
  /** Points the database refused for good (the rest of their batch was stored). */
  refused: number;
}

export interface BatchStore {
  /**
   * Resolves once every line is stored or refused for good; rejects with a classified error
   * (src/ports/faults.ts) otherwise. Writing the same lines again is harmless.
   */
  store(lines: ReadonlyMap<string, readonly LineBlock[]>, signal?: AbortSignal): Promise<StoreReport>;
}
