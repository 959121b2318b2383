/** Runs the real daemon (dist/src/cli.js) as a child process with a generated configuration. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './paths.js';

export interface DaemonSettings {
  brokers: string[];
  influxUrl: string;
  metricsTopic: string;
  alarmsTopic: string;
  /** Consumer groups are `<group>_metrics` and `<group>_alarms`. */
  group: string;
  database: string;
  dbPerTenant?: boolean;
  retentionHours?: number;
  metricsBatchSize?: number;
  alarmsBatchSize?: number;
  maxWaitSeconds?: number;
  user?: string;
  password?: string;
  /** With an https influxUrl: `[influxdb] verify_ssl` (default true). */
  verifySsl?: boolean;
  /** `[influxdb] ssl_ca_file`. */
  sslCaFile?: string;
  /** `[influxdb] gzip`. */
  influxGzip?: boolean;
  alarmsEnabled?: boolean;
  /** `[kafka_metrics] enabled` (default true). */
  metricsEnabled?: boolean;
  numProcessors?: number;
  /** Options of [supervisor]. */
  supervisor?: Record<string, string | number>;
  /** Options of [kafka], which the topic sections inherit (security_protocol, ssl_cafile, ...). */
  kafka?: Record<string, string | number | boolean>;
  /** Options of [monitoring]; by default `port = 0`, so that daemons running at once never share a port. */
  monitoring?: Record<string, string | number | boolean>;
  /** Options of [dead_letter]. */
  deadLetter?: Record<string, string | number | boolean>;
}

/** A configuration file in the reference's format. */
export function writeConfig(s: DaemonSettings): string {
  const url = new URL(s.influxUrl);
  const dir = mkdtempSync(join(tmpdir(), 'persister-test-'));
  const file = join(dir, 'monasca-persister.conf');
  const topic = (section: string, name: string, group: string, batch: number, enabled = true) => `
[${section}]
enabled = ${enabled}
uri = ${s.brokers.join(',')}
topic = ${name}
group_id = ${group}
batch_size = ${batch}
max_wait_time_seconds = ${s.maxWaitSeconds ?? 2}
num_processors = ${s.numProcessors ?? 1}
`;
  writeFileSync(
    file,
    `[DEFAULT]
debug = false
[kafka]
${Object.entries(s.kafka ?? {})
  .map(([k, v]) => `${k} = ${v}`)
  .join('\n')}
${topic('kafka_metrics', s.metricsTopic, `${s.group}_metrics`, s.metricsBatchSize ?? 1000, s.metricsEnabled ?? true)}
${topic('kafka_alarm_history', s.alarmsTopic, `${s.group}_alarms`, s.alarmsBatchSize ?? 1, s.alarmsEnabled ?? true)}
[influxdb]
ip_address = ${url.hostname}
port = ${url.port}
database_name = ${s.database}
db_per_tenant = ${s.dbPerTenant ?? false}
default_retention_hours = ${s.retentionHours ?? 0}
ssl = ${url.protocol === 'https:'}
verify_ssl = ${s.verifySsl ?? true}
${s.sslCaFile ? `ssl_ca_file = ${s.sslCaFile}` : ''}
gzip = ${s.influxGzip ?? false}
${s.user ? `user = ${s.user}` : ''}
${s.password ? `password = ${s.password}` : ''}
[supervisor]
${Object.entries(s.supervisor ?? {})
  .map(([k, v]) => `${k} = ${v}`)
  .join('\n')}
[monitoring]
${Object.entries({ port: 0, ...s.monitoring })
  .map(([k, v]) => `${k} = ${v}`)
  .join('\n')}
[dead_letter]
${Object.entries(s.deadLetter ?? {})
  .map(([k, v]) => `${k} = ${v}`)
  .join('\n')}
`,
  );
  return file;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class Daemon {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listeners: (() => void)[] = [];

  /**
   * Runs this persister with `args`, or `command` (another program, such as the reference persister).
   * `maxLogs` bounds the lines kept (the oldest go first): for long benchmark runs.
   */
  constructor(
    args: string[],
    env: NodeJS.ProcessEnv = {},
    command?: string[],
    private readonly maxLogs?: number,
  ) {
    const [program, ...programArgs] = command ?? [process.execPath, join(ROOT, 'dist', 'src', 'cli.js'), ...args];
    this.child = spawn(program, programArgs, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    // Both streams are always read: a child that logs to a pipe nobody reads blocks once the pipe's
    // buffer (64 KiB on Linux) is full. This persister logs JSON lines to stderr; the reference
    // (oslo.log) writes plain text lines to stdout. A line that is not JSON is kept as its text, at
    // level error from stderr (as before) and info from stdout, with the stream it came from.
    this.readLines(this.child.stderr!, 'stderr', 50);
    this.readLines(this.child.stdout!, 'stdout', 30);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  private readLines(stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr', plainLevel: number): void {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      let entry: LogLine;
      try {
        const parsed: unknown = JSON.parse(line);
        entry =
          parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
            ? (parsed as LogLine)
            : { level: plainLevel, msg: line, stream: name };
      } catch {
        entry = { level: plainLevel, msg: line, stream: name };
      }
      if (this.maxLogs !== undefined && this.logs.length >= this.maxLogs) this.logs.splice(0, this.logs.length - this.maxLogs + 1);
      this.logs.push(entry);
      for (const l of this.listeners) l();
    });
  }

  static start(configFile: string): Daemon {
    return new Daemon(['--config-file', configFile]);
  }

  /** Resolves with the first log line that matches, or rejects after timeoutMs. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.logs.find(match);
        if (!hit) return false;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(hit);
        return true;
      };
      const listener = () => void check();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${this.tail()}`));
      }, timeoutMs);
      if (!check()) this.listeners.push(listener);
    });
  }

  tail(n = 15): string {
    return this.logs
      .slice(-n)
      .map((l) => JSON.stringify(l))
      .join('\n');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }
}
