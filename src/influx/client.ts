/** The InfluxDB 1.x HTTP API (`/write`, `/query`, `/ping`) over @influxdata/influxdb-client's transport. */
import http from 'node:http';
import https from 'node:https';
import { HttpError, InfluxDB, type Transport } from '@influxdata/influxdb-client';
import type { LineBlock } from '../convert/lines.js';
import { certificateProblem, notTls } from '../tls.js';
import { classifyHttpError, droppedByPartialWrite, InfluxError, InfluxErrorCode } from './errors.js';

export interface InfluxConnection {
  /** `http://host:port` or `https://host:port`. */
  url: string;
  user?: string;
  password?: string;
  /** With https: check the server's certificate. */
  verifySsl?: boolean;
  /** With https and verifySsl: PEM of the CA(s) to trust (instead of the system's). */
  ca?: Buffer;
  /** Per request, milliseconds. */
  timeoutMs?: number;
  /** Gzip write bodies (above a kilobyte). */
  gzip?: boolean;
}

export interface WriteOutcome {
  /** Points InfluxDB refused for good while storing the rest (a partial write). */
  dropped: number;
  /** InfluxDB's words about the dropped points, if any. */
  detail?: string;
}

export function influxUrl(c: { ipAddress: string; port: number; ssl: boolean }): string {
  const host = c.ipAddress.includes(':') && !c.ipAddress.startsWith('[') ? `[${c.ipAddress}]` : c.ipAddress;
  return `${c.ssl ? 'https' : 'http'}://${host}:${c.port}`;
}

/** An InfluxQL identifier in double quotes. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const GZIP_ABOVE_BYTES = 1024;

export class InfluxHttp {
  private readonly transport: Transport;
  private readonly headers: Record<string, string> = {};

  constructor(readonly connection: InfluxConnection) {
    const tls = connection.url.startsWith('https:');
    const agent = tls
      ? new https.Agent({ keepAlive: true, rejectUnauthorized: connection.verifySsl ?? false, ca: connection.ca })
      : new http.Agent({ keepAlive: true });
    this.transport = new InfluxDB({
      url: connection.url,
      timeout: connection.timeoutMs ?? 30_000,
      // InfluxDB 1.x repeats a refused line in its X-Influxdb-Error header, control characters
      // (a NUL) included, which Node.js's strict HTTP parser rejects: the 400 would be taken for
      // InfluxDB being unavailable, and the same batch retried forever.
      transportOptions: { agent, insecureHTTPParser: true },
    }).transport;
    if (connection.user && connection.password) {
      const basic = Buffer.from(`${connection.user}:${connection.password}`).toString('base64');
      this.headers.authorization = `Basic ${basic}`;
    }
  }

  /** Writes a block of lines (precision ms); resolves when stored, with what a partial write dropped. */
  async write(database: string, lines: LineBlock, retentionPolicy?: string): Promise<WriteOutcome> {
    const rp = retentionPolicy ? `&rp=${encodeURIComponent(retentionPolicy)}` : '';
    const path = `/write?db=${encodeURIComponent(database)}${rp}&precision=ms`;
    try {
      await this.request(path, lines.text, 'text/plain; charset=utf-8', this.connection.gzip ? GZIP_ABOVE_BYTES : undefined);
      return { dropped: 0 };
    } catch (err) {
      if (err instanceof InfluxError && err.code === InfluxErrorCode.PARTIAL_WRITE) {
        return { dropped: droppedByPartialWrite(err.message), detail: err.message };
      }
      throw err;
    }
  }

  /** Runs InfluxQL statements; a statement's error becomes an InfluxError QUERY_FAILED. */
  async query(q: string, database?: string): Promise<QueryResult[]> {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (database) params.set('db', database);
    const answer = (await this.request('/query', params.toString(), 'application/x-www-form-urlencoded')) as {
      results?: QueryResult[];
      error?: string;
    };
    if (answer?.error) throw new InfluxError(InfluxErrorCode.QUERY_FAILED, answer.error);
    const results = answer?.results ?? [];
    const failed = results.find((r) => r.error);
    if (failed) throw new InfluxError(InfluxErrorCode.QUERY_FAILED, `${failed.error} (in: ${q})`);
    return results;
  }

  /** Creates a database (idempotent) and, with hours > 0, its default retention policy `<N>h`. */
  async createDatabase(database: string, retentionHours: number): Promise<void> {
    await this.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
    if (retentionHours > 0) {
      const rp = `${retentionHours}h`;
      try {
        await this.query(
          `CREATE RETENTION POLICY ${quoteIdentifier(rp)} ON ${quoteIdentifier(database)} DURATION ${rp} REPLICATION 1 DEFAULT`,
        );
      } catch (err) {
        // Another writer may have created it a moment ago.
        if (!(err instanceof InfluxError && /already exists/.test(err.message))) throw err;
      }
    }
  }

  private async request(path: string, body: string, contentType: string, gzipThreshold?: number): Promise<unknown> {
    try {
      return await this.transport.request(path, body, {
        method: 'POST',
        headers: { ...this.headers, 'content-type': contentType },
        gzipThreshold,
      });
    } catch (err) {
      throw toInfluxError(err, this.connection.url);
    }
  }
}

export interface QueryResult {
  statement_id?: number;
  error?: string;
  series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
}

/** Socket errors that mean no connection could be made at all. */
const NO_CONNECTION: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function toInfluxError(err: unknown, url: string): InfluxError {
  if (err instanceof InfluxError) return err;
  const certificate = certificateProblem(err);
  if (certificate) {
    return new InfluxError(
      InfluxErrorCode.TLS_REJECTED,
      `InfluxDB at ${url}: its TLS certificate failed verification (${certificate}): trust its CA with [influxdb] ssl_ca_file, or set [influxdb] verify_ssl = false`,
    );
  }
  if (notTls(err)) {
    return new InfluxError(InfluxErrorCode.TLS_REJECTED, `InfluxDB at ${url} does not answer TLS: check [influxdb] ssl and port`);
  }
  if (err instanceof HttpError) {
    let text = err.body ?? '';
    const json = err.json as { error?: string } | undefined;
    if (json && typeof json.error === 'string') text = json.error;
    else {
      try {
        const parsed = JSON.parse(text) as { error?: string };
        if (typeof parsed.error === 'string') text = parsed.error;
      } catch {
        // not JSON: keep the text as it is
      }
    }
    return classifyHttpError(err.statusCode, text || err.statusMessage || '');
  }
  const e = err as NodeJS.ErrnoException;
  const code = NO_CONNECTION.has(e?.code ?? '') ? InfluxErrorCode.UNREACHABLE : InfluxErrorCode.UNAVAILABLE;
  return new InfluxError(code, `InfluxDB unreachable: ${e?.code ?? ''} ${e?.message ?? String(err)}`.trim());
}
