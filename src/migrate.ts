/**
 * `monasca-persister migrate-db-per-tenant`: copies the points of a shared database
 * (`[influxdb] database_name`) into one database per tenant (`<database_name>_<tenant>`, as the
 * persister writes them with `db_per_tenant = true`), as the reference's
 * tools/influxdb/db-per-tenant tool does: per tenant, per measurement, per time window, with
 * `SELECT * INTO ... GROUP BY *` (tags kept). The source is left intact.
 *
 * Windows are whole units (`--unit` h, d or w) counted back from the moment of the first run:
 * from `--start-offset` units ago (0: now) to `--end-offset` units ago. Each target database is
 * created with the configured `default_retention_hours` as its default retention policy. Every
 * window copied is recorded in the state file, so a run that stops (interrupted, InfluxDB gone) is
 * resumed by running it again; running it again after the end copies nothing, and copying a
 * window twice would only overwrite points with themselves.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { influxHttp } from './app.js';
import type { PersisterConfig } from './config/index.js';
import { ExitCode } from './exit-codes.js';
import { type InfluxHttp, quoteIdentifier } from './influx/client.js';
import { Fault, faultOf } from './ports/faults.js';

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
export type MigrationUnit = keyof typeof UNIT_MS;

export interface MigrationOptions {
  unit: MigrationUnit;
  /** Windows from this many units ago (0: now)... */
  startOffset: number;
  /** ...to this many units ago. */
  endOffset: number;
  /** Measurements whose name matches are not copied. */
  skip?: RegExp;
  stateFile: string;
  dryRun: boolean;
}

interface MigrationState {
  source: string;
  unit: MigrationUnit;
  /** The moment windows are counted back from (ms), fixed by the first run. */
  anchorMs: number;
  /** `tenant \t measurement \t window` of each window copied. */
  done: string[];
}

/** An InfluxQL string literal. */
const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function column(results: Awaited<ReturnType<InfluxHttp['query']>>): string[] {
  return (results[0]?.series ?? []).flatMap((s) => s.values.map((v) => String(v[s.columns.length - 1])));
}

function loadState(file: string, source: string, unit: MigrationUnit): MigrationState {
  if (!existsSync(file)) return { source, unit, anchorMs: Date.now(), done: [] };
  const state = JSON.parse(readFileSync(file, 'utf8')) as MigrationState;
  if (state.source !== source || state.unit !== unit) {
    throw new Error(`${file} records a migration of ${state.source} in units of ${state.unit}, not of ${source} in ${unit}: give another --state-file, or delete it to start over`);
  }
  return state;
}

function saveState(file: string, state: MigrationState): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** Runs the migration; `out` gets the report, `progress` each window copied and the share done. */
export async function migrateDbPerTenant(
  config: PersisterConfig,
  options: MigrationOptions,
  out: (line: string) => void,
  progress: (line: string, fraction: number) => void,
): Promise<ExitCode> {
  const http = influxHttp(config);
  const source = config.influxdb.databaseName;
  const hours = config.influxdb.defaultRetentionHours;
  let state: MigrationState;
  try {
    state = loadState(options.stateFile, source, options.unit);
  } catch (err) {
    out(`cannot use the state file: ${err instanceof Error ? err.message : String(err)}`);
    return ExitCode.USAGE;
  }
  const done = new Set(state.done);
  try {
    const measurements = column(await http.query('SHOW MEASUREMENTS', source)).filter((m) => !options.skip?.test(m));
    // one series per measurement: a tenant with points in several is listed in each
    const tenants = [...new Set(column(await http.query('SHOW TAG VALUES WITH KEY = "_tenant_id"', source)))];
    const windows = Array.from({ length: Math.max(0, options.endOffset - options.startOffset) }, (_, i) => options.startOffset + i);
    const unitMs = UNIT_MS[options.unit];
    const plan = tenants.flatMap((t) => measurements.flatMap((m) => windows.map((k) => `${t}\t${m}\t${k}`)));
    const total = plan.length;
    const left = plan.filter((key) => !done.has(key)).length;
    out(
      `${options.dryRun ? 'plan' : 'migrating'}: ${source} -> ${tenants.map((t) => `${source}_${t}`).join(', ') || '(no tenant)'}; ` +
        `${measurements.length} measurements, ${windows.length} windows of 1${options.unit} (${options.startOffset}-${options.endOffset}${options.unit} before ${new Date(state.anchorMs).toISOString()}); ` +
        `${total} copies, ${left} left; retention policy of new databases: ${hours > 0 ? `${hours}h` : 'the server default'}`,
    );
    if (options.dryRun) {
      for (const t of tenants) out(`would copy tenant ${t}'s points of ${measurements.length} measurements into ${source}_${t}`);
      return ExitCode.OK;
    }
    let copied = 0;
    let points = 0;
    for (const tenant of tenants) {
      const target = `${source}_${tenant}`;
      await http.createDatabase(target, hours);
      let tenantPoints = 0;
      for (const measurement of measurements) {
        for (const k of windows) {
          const key = `${tenant}\t${measurement}\t${k}`;
          if (done.has(key)) continue;
          const upper = state.anchorMs - k * unitMs;
          const lower = upper - unitMs;
          const q =
            `SELECT * INTO ${quoteIdentifier(target)}..:MEASUREMENT FROM ${quoteIdentifier(source)}..${quoteIdentifier(measurement)} ` +
            `WHERE "_tenant_id" = ${literal(tenant)} AND time > ${lower}ms AND time <= ${upper}ms GROUP BY *`;
          const r = await http.query(q, source);
          const written = Number(r[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
          tenantPoints += written;
          done.add(key);
          state.done.push(key);
          saveState(options.stateFile, state);
          copied++;
          const n = total - left + copied;
          const width = 30;
          const filled = Math.round((n / Math.max(1, total)) * width);
          progress(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total} (${Math.round((100 * n) / Math.max(1, total))}%) ${tenant} ${measurement}`, n / Math.max(1, total));
        }
      }
      points += tenantPoints;
      out(`tenant ${tenant}: ${tenantPoints} points copied into ${target}`);
    }
    out(`done: ${copied} copies made now, ${points} points; ${source} is left as it was`);
    return ExitCode.OK;
  } catch (err) {
    out(`stopped: ${err instanceof Error ? err.message : String(err)}; what was copied is recorded in ${options.stateFile}: run again to resume`);
    return faultOf(err) === Fault.CONFIGURATION ? ExitCode.CONFIG : ExitCode.UNAVAILABLE;
  }
}
