/**
 * Stores converted lines in InfluxDB: requests of at most `pointsPerRequest` lines, databases created
 * on demand, and bad points isolated by splitting so that one of them never takes its batch down.
 * One attempt: a failure (InfluxDB down, 5xx, credentials refused) rejects with an InfluxError, whose
 * fault tells the writer actor whether to try again. Writing the same lines again is harmless:
 * a point with the same series and time overwrites itself.
 */
import type { Logger } from 'pino';
import { joinLines, type LineBlock, regroup, splitLines } from '../convert/lines.js';
import { DropLog } from '../observe/drop-log.js';
import type { BatchStore, StoreReport } from '../ports/store.js';
import type { InfluxHttp } from './client.js';
import { InfluxError, InfluxErrorCode } from './errors.js';

export interface StoreOptions {
  pointsPerRequest: number;
  /** `[influxdb] default_retention_hours`: the retention policy of databases created here. */
  retentionHours: number;
  log: Logger;
  /** Where points InfluxDB refuses are logged (a flood is summarized); by default a log of its own. */
  drops?: DropLog;
}

const SPLITTABLE: ReadonlySet<string> = new Set([InfluxErrorCode.BAD_REQUEST, InfluxErrorCode.REQUEST_TOO_LARGE]);

export class PointStore implements BatchStore {
  private readonly drops: DropLog;

  constructor(
    private readonly http: InfluxHttp,
    private readonly options: StoreOptions,
  ) {
    this.drops = options.drops ?? new DropLog(options.log);
  }

  /** Resolves once every line is stored or refused for good; rejects with an InfluxError otherwise. */
  async store(linesByDatabase: ReadonlyMap<string, readonly LineBlock[]>, signal?: AbortSignal): Promise<StoreReport> {
    const report: StoreReport = { stored: 0, refused: 0 };
    const size = Math.max(1, this.options.pointsPerRequest);
    for (const [database, blocks] of linesByDatabase) {
      for (const request of regroup(blocks, size)) {
        signal?.throwIfAborted();
        const r = await this.writeIsolating(database, request);
        report.stored += r.stored;
        report.refused += r.refused;
      }
    }
    return report;
  }

  /** One request; a 400 on many lines is split in halves until the bad lines stand alone. */
  private async writeIsolating(database: string, lines: LineBlock): Promise<StoreReport> {
    try {
      const outcome = await this.writeCreatingDatabase(database, lines);
      if (outcome.dropped > 0) {
        this.options.log.warn({ database, refused: outcome.dropped, detail: outcome.detail }, 'InfluxDB refused points of a batch; the rest are stored');
      }
      return { stored: lines.count - outcome.dropped, refused: outcome.dropped };
    } catch (err) {
      if (!(err instanceof InfluxError) || !SPLITTABLE.has(err.code)) throw err;
      if (lines.count === 1) {
        this.drops.dropped('refused', { database, line: lines.text.slice(0, 1000), err: err.message }, 'InfluxDB refused a point; dropped');
        return { stored: 0, refused: 1 };
      }
      const all = splitLines(lines);
      const half = Math.ceil(all.length / 2);
      const a = await this.writeIsolating(database, joinLines(all.slice(0, half)));
      const b = await this.writeIsolating(database, joinLines(all.slice(half)));
      return { stored: a.stored + b.stored, refused: a.refused + b.refused };
    }
  }

  /**
   * A missing database is created (with its retention policy), and so is a missing default retention
   * policy when one is configured: another writer may be between its CREATE DATABASE and its CREATE
   * RETENTION POLICY. Still missing after that, it is a configuration fault.
   */
  private async writeCreatingDatabase(database: string, lines: LineBlock) {
    try {
      return await this.http.write(database, lines);
    } catch (err) {
      const missing =
        err instanceof InfluxError &&
        (err.code === InfluxErrorCode.DATABASE_NOT_FOUND || (err.code === InfluxErrorCode.RETENTION_POLICY_NOT_FOUND && this.options.retentionHours > 0));
      if (!missing) throw err;
      this.options.log.info({ database, retentionHours: this.options.retentionHours }, 'creating database');
      await this.http.createDatabase(database, this.options.retentionHours);
      return this.http.write(database, lines);
    }
  }
}
