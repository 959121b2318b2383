/** The local Kafka and InfluxDB of test/helpers/stack.sh, for tests, benchmarks and the demo. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { QueryResult } from '../../src/influx/client.js';
import { ROOT } from './paths.js';

/** An InfluxDB of the stack without authentication. */
export interface InfluxTarget {
  url: string;
  /** What the server says it is: Debian's `1.6.7~rc0`, or `1.8.10`. */
  version: string;
}

export interface Stack {
  /** The PLAINTEXT listener. */
  kafka: { brokers: string[] };
  /** The SSL listener; its certificate (CN=localhost, SAN DNS:localhost, IP:127.0.0.1) is signed by the CA in `caFile` (PEM). */
  kafkaSsl: { brokers: string[]; caFile: string };
  /** The SASL_PLAINTEXT listener and the SCRAM user the stack made. */
  kafkaSasl: { brokers: string[]; mechanism: 'SCRAM-SHA-512'; username: string; password: string };
  /** Debian's InfluxDB (1.6.7). */
  influx: InfluxTarget;
  /** InfluxDB 1.8.10, built by stack.sh. */
  influx18: InfluxTarget;
  /** Debian's InfluxDB (1.6.7) with authentication, and its admin user. */
  influxAuth: { url: string; user: string; password: string; version: string };
}

let up: Promise<Stack> | undefined;

/** Brings the stack up once per process (quick when it already runs) and says where it listens. */
export function stack(): Promise<Stack> {
  up ??= promisify(execFile)('bash', [join(ROOT, 'test', 'helpers', 'stack.sh'), 'up'], { maxBuffer: 16 << 20 }).then(
    () => JSON.parse(readFileSync(join(ROOT, '.stack', 'stack.json'), 'utf8')) as Stack,
  );
  return up;
}

/**
 * Every InfluxDB version of the stack without authentication, oldest first: a test that is about
 * InfluxDB runs once on each, `const s = await stack();` at the top of the file and then
 * `for (const influx of influxTargets(s)) describe(...)`.
 */
export function influxTargets(s: Stack): InfluxTarget[] {
  return [s.influx, s.influx18];
}

/** Runs InfluxQL and returns its results; a statement error throws. */
export async function influxQuery(
  url: string,
  q: string,
  db?: string,
  auth?: { user: string; password: string },
): Promise<QueryResult[]> {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (db) params.set('db', db);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  const res = await fetch(`${url}/query`, { method: 'POST', body: params.toString(), headers });
  const body = (await res.json()) as { results?: QueryResult[]; error?: string };
  if (!res.ok || body.error) throw new Error(`InfluxDB ${res.status}: ${body.error ?? JSON.stringify(body)}`);
  const failed = body.results?.find((r) => r.error);
  if (failed) throw new Error(`${failed.error} (in: ${q})`);
  return body.results ?? [];
}

let counter = 0;

/** A name no other test of any run uses: topics, groups and databases. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${process.pid.toString(36)}${(counter++).toString(36)}`;
}
