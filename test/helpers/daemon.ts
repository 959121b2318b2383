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
  numProcessors?: number;
  /** Options of [supervisor]. */
  supervisor?: Record<string, string | number>;
  /** Options of [kafka], which the topic sections inherit (security_protocol, ssl_cafile, ...). */
  kafka?: Record<string, string | number | boolean>;
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
${topic('kafka_metrics', s.metricsTopic, `${s.group}_metrics`, s.metricsBatchSize ?? 1000)}
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

  /** Runs this persister with `args`, or `command` (another program, such as the reference persister). */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}, command?: string[]) {
    const [program, ...programArgs] = command ?? [process.execPath, join(ROOT, 'dist', 'src', 'cli.js'), ...args];
    this.child = spawn(program, programArgs, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.logs.push({ level: 50, msg: line });
      }
      for (const l of this.listeners) l();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
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
