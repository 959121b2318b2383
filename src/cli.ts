#!/usr/bin/env node
/**
 * monasca-persister: the daemon (`monasca-persister [--config-file F]... [--config-dir D]...`),
 * `monasca-persister config [--config-file F]...`, which prints the effective configuration, and
 * `monasca-persister convert metrics|alarms`, which shows what would be written for messages on stdin,
 * `monasca-persister diagram`, which prints the actors' state machines, and the operator's tools
 * `check`, `migrate-db-per-tenant` and `replay`.
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs as parseArgv } from 'node:util';
import { runDaemon } from './app.js';
import {
  ConfigError,
  formatIni,
  loadConfig,
  loadEffectiveConfig,
  parseArgs,
  redactedConfig,
  resolveConfigFiles,
  USAGE,
  type ParsedArgs,
} from './config/index.js';
import { convertMessage, Drop, type MessageKind } from './convert/index.js';
import { runChecks } from './check.js';
import { diagram, MACHINES } from './diagram.js';
import { DEAD_LETTER_REASONS } from './dead-letter.js';
import { migrateDbPerTenant, type MigrationUnit } from './migrate.js';
import { replay } from './replay.js';
import { ExitCode } from './exit-codes.js';
import { tuneHeap } from './heap.js';
import { persisterVersion } from './version.js';
import { createLogger } from './observe/log.js';

const CONVERT_USAGE = `Usage: monasca-persister convert metrics|alarms < messages

Reads Kafka message values from stdin, one per line, and prints the line-protocol line of each
message the persister would write to stdout; for each message it would drop, a JSON line
{"line": N, "reason": "..."} goes to stderr.`;

const DIAGRAM_USAGE = `Usage: monasca-persister diagram [--format mermaid|dot] [MACHINE]

Prints the state machine of an actor (${Object.keys(MACHINES).join(', ')}), or of each, as a Mermaid
state diagram (the default) or Graphviz DOT, generated from the machines' definitions.`;

/** A usage error of a tool: said with the tool's usage; exit 64. */
function usageError(why: string, usage: string): number {
  process.stderr.write(`monasca-persister: ${why}\n\n${usage}\n`);
  return ExitCode.USAGE;
}

/** Options every tool that reads the configuration takes; -h/--help, which every tool takes. */
const CONFIG_OPTIONS = {
  'config-file': { type: 'string', multiple: true },
  'config-dir': { type: 'string', multiple: true },
} as const;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** A tool's command line as `parse` reads it, or the exit status when it was a usage error or --help (both printed already). */
function toolArgs<R extends { values: { help?: boolean } }>(parse: () => R, usage: string): R | number {
  let parsed: R;
  try {
    parsed = parse();
  } catch (err) {
    return usageError((err as Error).message, usage);
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    return ExitCode.OK;
  }
  return parsed;
}

/** The configuration a tool's --config-file and --config-dir name. */
function toolConfig(values: { 'config-file'?: string[]; 'config-dir'?: string[] }) {
  return loadConfig(resolveConfigFiles({ configFiles: values['config-file'] ?? [], configDirs: values['config-dir'] ?? [] }).files);
}

/** \`diagram\`: the machines' graphs on stdout. */
function printDiagram(argv: string[]): number {
  const parsed = toolArgs(
    () => parseArgv({ args: argv, options: { format: { type: 'string', default: 'mermaid' }, ...HELP }, allowPositionals: true }),
    DIAGRAM_USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const format = values.format;
  const names = positionals.length > 0 ? positionals : Object.keys(MACHINES);
  const unknown = names.find((n) => !Object.hasOwn(MACHINES, n));
  if ((format !== 'mermaid' && format !== 'dot') || unknown !== undefined || positionals.length > 1) {
    return usageError(unknown !== undefined ? `no machine named ${unknown}` : positionals.length > 1 ? 'one machine at most' : `unknown format ${format}`, DIAGRAM_USAGE);
  }
  const comment = format === 'dot' ? '//' : '%%';
  process.stdout.write(names.map((n) => `${names.length > 1 ? `${comment} ${n}\n` : ''}${diagram(MACHINES[n], format)}`).join('\n'));
  return ExitCode.OK;
}

const MIGRATE_USAGE = `Usage: monasca-persister migrate-db-per-tenant [--config-file FILE]... [--config-dir DIR]...
         [--unit h|d|w] [--start-offset N] [--end-offset N] [--skip-regex RE] [--state-file FILE] [--dry-run]

Copies each tenant's points of [influxdb] database_name into <database_name>_<tenant> (what the
persister writes with db_per_tenant = true), per measurement and per time window of one unit (d by
default), from --start-offset units ago (0) to --end-offset units ago (365); measurements matching
--skip-regex are left out. New databases get [influxdb] default_retention_hours as their default
retention policy. The source is left intact. Progress is recorded in the state file
(monasca-persister-migration.json by default): run it again to resume. --dry-run prints the plan.`;

/** \`migrate-db-per-tenant\`. */
async function migrate(argv: string[]): Promise<number> {
  const parsed = toolArgs(
    () =>
      parseArgv({
        args: argv,
        options: {
          ...CONFIG_OPTIONS,
          unit: { type: 'string', default: 'd' },
          'start-offset': { type: 'string', default: '0' },
          'end-offset': { type: 'string', default: '365' },
          'skip-regex': { type: 'string' },
          'state-file': { type: 'string', default: 'monasca-persister-migration.json' },
          'dry-run': { type: 'boolean', default: false },
          ...HELP,
        },
      }),
    MIGRATE_USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const start = Number(v['start-offset']);
  const end = Number(v['end-offset']);
  let skip: RegExp | undefined;
  let why: string | undefined;
  try {
    skip = v['skip-regex'] === undefined ? undefined : new RegExp(v['skip-regex']);
  } catch (err) {
    why = `--skip-regex: ${(err as Error).message}`;
  }
  if (!['h', 'd', 'w'].includes(v.unit)) why = `--unit ${v.unit}: h, d or w`;
  else if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) why = '--start-offset and --end-offset: whole numbers, the end not before the start';
  if (why) return usageError(why, MIGRATE_USAGE);
  const config = toolConfig(v);
  const tty = process.stderr.isTTY;
  let lastTenth = 0;
  return migrateDbPerTenant(
    config,
    { unit: v.unit as MigrationUnit, startOffset: start, endOffset: end, skip, stateFile: resolve(v['state-file']), dryRun: v['dry-run'] },
    (line) => process.stdout.write(`${tty ? '\r\x1b[K' : ''}${line}\n`),
    // a bar redrawn in place on a terminal; elsewhere (a log), a line at each tenth of the way
    (line, fraction) => {
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else if (Math.floor(fraction * 10) > Math.floor(lastTenth)) process.stderr.write(`${line}\n`);
      lastTenth = fraction * 10;
    },
  );
}

const REPLAY_USAGE = `Usage: monasca-persister replay [--config-file FILE]... [--config-dir DIR]... [--from OFFSET]
         [--reason REASON] [--dry-run]

Reads the dead-letter topic ([dead_letter] topic, at [dead_letter] uri, or else at the brokers of
each enabled topic) from OFFSET in each partition (default: the start) to its end, and feeds the
dead letters of REASON (empty, not_utf8, not_json, invalid or refused; default: all) back through
the converter into InfluxDB. It prints each one still dropped or refused, then what it stored.
--dry-run converts without writing. It commits nothing and leaves the dead letters in the topic.
Exit status: 0 all stored, 65 some still dropped or refused, 69 Kafka or InfluxDB unreachable,
78 credentials refused.`;

/** \`replay\`. */
async function replayDeadLetters(argv: string[]): Promise<number> {
  const parsed = toolArgs(
    () => parseArgv({ args: argv, options: { ...CONFIG_OPTIONS, from: { type: 'string' }, reason: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, ...HELP } }),
    REPLAY_USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  let why: string | undefined;
  if (v.from !== undefined && !/^\d+$/.test(v.from)) why = `--from ${v.from}: an offset, a whole number`;
  else if (v.reason !== undefined && !(DEAD_LETTER_REASONS as readonly string[]).includes(v.reason)) why = `--reason ${v.reason}: one of ${DEAD_LETTER_REASONS.join(', ')}`;
  if (why) return usageError(why, REPLAY_USAGE);
  return replay(
    toolConfig(v),
    { from: v.from === undefined ? undefined : BigInt(v.from), reason: v.reason, dryRun: v['dry-run'] },
    (line) => process.stdout.write(`${line}\n`),
    (line) => process.stderr.write(`${line}\n`),
  );
}

async function convert(kind: string | undefined): Promise<number> {
  if (kind !== 'metrics' && kind !== 'alarms') {
    process.stderr.write(`${CONVERT_USAGE}\n`);
    return ExitCode.USAGE;
  }
  let out: string[] = [];
  let err: string[] = [];
  const drain = () => {
    if (out.length) process.stdout.write(`${out.join('\n')}\n`);
    if (err.length) process.stderr.write(`${err.join('\n')}\n`);
    out = [];
    err = [];
  };
  let n = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    n++;
    const c = convertMessage(kind as MessageKind, line);
    if (c instanceof Drop) err.push(JSON.stringify({ line: n, reason: c.reason }));
    else out.push(c.line);
    if (out.length + err.length >= 1000) drain();
  }
  drain();
  return ExitCode.OK;
}

/** `config`: the effective configuration as INI on stdout; warnings (unknown options...) on stderr. */
function printConfig(args: ParsedArgs): number {
  if (args.rest.length > 1) {
    return usageError(`unexpected argument ${args.rest[1]}`, USAGE);
  }
  const { files, warnings } = resolveConfigFiles(args);
  const { config, options } = loadEffectiveConfig(files);
  for (const w of [...warnings, ...config.warnings]) process.stderr.write(`monasca-persister: ${w}\n`);
  process.stdout.write(formatIni(options, files));
  return ExitCode.OK;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'diagram') return printDiagram(argv.slice(1));
  if (argv[0] === 'migrate-db-per-tenant') return migrate(argv.slice(1));
  if (argv[0] === 'replay') return replayDeadLetters(argv.slice(1));
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(`${USAGE}\n\n${CONVERT_USAGE}\n\n${DIAGRAM_USAGE}\n\n${MIGRATE_USAGE}\n\n${REPLAY_USAGE}\n`);
    return ExitCode.OK;
  }
  if (args.version) {
    process.stdout.write(`monasca-persister ${persisterVersion()}\n`);
    return ExitCode.OK;
  }
  if (args.rest[0] === 'convert') return convert(args.rest[1]);
  if (args.rest[0] === 'config') return printConfig(args);
  if (args.rest[0] === 'check') {
    if (args.rest.length > 1) {
      return usageError(`unexpected argument ${args.rest[1]}`, USAGE);
    }
    const { files, warnings } = resolveConfigFiles(args);
    return runChecks(files, (line) => process.stdout.write(`${line}\n`), warnings);
  }
  if (args.rest.length > 0) {
    return usageError(`unexpected argument ${args.rest[0]}`, USAGE);
  }

  const { files, warnings: searchWarnings } = resolveConfigFiles(args);
  const config = loadConfig(files);
  tuneHeap();
  const file = config.logFile ? resolve(config.logDir ?? '.', config.logFile) : undefined;
  // Decided here: a pipeline's worker thread logs the same way, and has no terminal of its own.
  const logOptions = { debug: config.debug, file, alsoStderr: config.useStderr === true, pretty: process.stderr.isTTY };
  const log = createLogger(logOptions);
  for (const w of [...searchWarnings, ...config.warnings]) log.warn(w);
  log.info({ version: persisterVersion(), config: redactedConfig(config) }, 'configuration loaded');
  const code = await runDaemon(config, log, logOptions);
  log.flush();
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Sockets of a client that failed may keep the event loop alive; the work is done.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      // one line per problem (ConfigProblems holds several)
      process.stderr.write(`${err.message.split('\n').map((line) => `monasca-persister: ${line}`).join('\n')}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`monasca-persister: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(ExitCode.SOFTWARE);
  },
);
