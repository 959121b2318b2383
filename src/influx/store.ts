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
  /**
   * Find each point a partial write dropped (beyond the retention policy, a field type conflict) by
   * writing the request again in halves: its other points are written twice, harmlessly. Needed
   * when refused points become dead letters; otherwise a partial write's points are only counted.
   */
  traceRefusals?: boolean;
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
    const report: StoreReport = { stored: 0, refused: 0, refusals: [] };
    const size = Math.max(1, this.options.pointsPerRequest);
    for (const [database, blocks] of linesByDatabase) {
      for (const request of regroup(blocks, size)) {
        signal?.throwIfAborted();
        await this.writeIsolating(database, request, report);
      }
    }
    return report;
  }

  /** One request, added to `report`; a 400 on many lines is split in halves until the bad lines stand alone. */
  private async writeIsolating(database: string, lines: LineBlock, report: StoreReport): Promise<void> {
    let error: string;
    try {
      const outcome = await this.writeCreatingDatabase(database, lines);
      if (outcome.dropped === 0) {
        report.stored += lines.count;
        return;
      }
      if (lines.count > 1 && this.options.traceRefusals) return this.writeHalves(database, lines, report);
      error = outcome.detail ?? 'partial write';
      if (lines.count > 1) {
        this.options.log.warn({ database, refused: outcome.dropped, detail: outcome.detail }, 'InfluxDB refused points of a batch; the rest are stored');
        report.stored += lines.count - outcome.dropped;
        report.refused += outcome.dropped;
        return;
      }
    } catch (err) {
      if (!(err instanceof InfluxError) || !SPLITTABLE.has(err.code)) throw err;
      if (lines.count > 1) return this.writeHalves(database, lines, report);
      error = err.message;
    }
    this.drops.dropped('refused', { database, line: lines.text.slice(0, 1000), err: error }, 'InfluxDB refused a point; dropped');
    report.refused += 1;
    report.refusals.push({ database, line: lines.text, error });
  }

  private async writeHalves(database: string, lines: LineBlock, report: StoreReport): Promise<void> {
    const all = splitLines(lines);
    const half = Math.ceil(all.length / 2);
    await this.writeIsolating(database, joinLines(all.slice(0, half)), report);
    await this.writeIsolating(database, joinLines(all.slice(half)), report);
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
