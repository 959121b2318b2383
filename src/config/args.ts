/** The command line and the choice of configuration files (oslo.config's search rules). */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs as parseArgv } from 'node:util';
import { ConfigError, UsageError } from './errors.js';

export const USAGE = `Usage: monasca-persister [--config-file FILE]... [--config-dir DIR]... [--version] [-h|--help]
       monasca-persister config [--config-file FILE]... [--config-dir DIR]...
       monasca-persister check [--config-file FILE]... [--config-dir DIR]...

  --config-file FILE  read FILE; repeatable, later files override earlier ones
  --config-dir DIR    then read every *.conf in DIR, in sorted order; repeatable
  --version           print the version and exit
  -h, --help          print this help and exit
  config              print the configuration these files give (defaults, $ references and
                      [kafka] inheritance resolved, passwords as ***) as an INI file, and exit
  check               check the configuration (every problem at once), then each enabled topic's
                      Kafka brokers and topic and InfluxDB (credentials, database, retention
                      policy), one line per check; writes nothing, joins no consumer group.
                      Exit 0, 78 (a configuration fault) or 69 (a service unreachable)

Without --config-file the first that exists of ~/.monasca/monasca-persister.conf,
~/monasca-persister.conf, /etc/monasca/monasca-persister.conf and /etc/monasca-persister.conf
is read (or, deprecated, persister.conf in the same places); without --config-dir the first
monasca-persister.conf.d directory that exists in the same places is read after it.`;

export interface ParsedArgs {
  configFiles: string[];
  configDirs: string[];
  help: boolean;
  version: boolean;
  /** arguments that are not options, and everything after `--` */
  rest: string[];
}

const OPTIONS = {
  'config-file': { type: 'string', multiple: true },
  'config-dir': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** What util.parseArgs tells of one argument (its tokens, strict or not). */
interface ArgToken {
  kind: string;
  name?: string;
  rawName?: string;
  value?: string;
  inlineValue?: boolean;
}

/**
 * The first argument refused: an unknown option, a value given to --help or --version, or
 * --config-file/--config-dir without a name. An empty name is refused, and so is a separate
 * argument starting with '-' (even a lone `-`, which util.parseArgs would take): most likely
 * the name was forgotten; `--config-file=-odd.conf` names such a file.
 */
function refused(tokens: readonly ArgToken[]): UsageError | undefined {
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined) continue;
    const name = t.name;
    const spec = Object.hasOwn(OPTIONS, name) ? OPTIONS[name as keyof typeof OPTIONS] : undefined;
    if (!spec) return new UsageError(`unknown option ${t.rawName}\n\n${USAGE}`);
    if (spec.type === 'boolean' && t.value !== undefined) return new UsageError(`--${name} takes no value\n\n${USAGE}`);
    if (spec.type === 'string' && (t.value === undefined || t.value === '' || (!t.inlineValue && t.value.startsWith('-')))) {
      return new UsageError(`--${name} needs a ${name === 'config-file' ? 'file' : 'directory'} name\n\n${USAGE}`);
    }
  }
  return undefined;
}

/** Parses the arguments after the program name (process.argv.slice(2)). Throws UsageError. */
export function parseArgs(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgv({ args: argv, options: OPTIONS, strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw e;
    // The error names the argument only in its prose: find it in the tokens of a lenient parse.
    const { tokens } = parseArgv({ args: argv, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
    throw refused(tokens) ?? new UsageError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const bad = refused(parsed.tokens);
  if (bad) throw bad;
  const { values, positionals } = parsed;
  return {
    configFiles: values['config-file'] ?? [],
    configDirs: values['config-dir'] ?? [],
    help: values.help ?? false,
    version: values.version ?? false,
    rest: positionals,
  };
}

export interface SearchEnv {
  home: string;
  exists?: (path: string) => boolean;
  /** names in a directory; defaults to fs.readdirSync */
  readdir?: (dir: string) => string[];
  /** base of relative paths; defaults to process.cwd() */
  cwd?: string;
}

/** Where oslo.config looks for project `monasca` files. */
function searchDirs(home: string): string[] {
  return [join(home, '.monasca'), home, '/etc/monasca', '/etc'];
}

/**
 * The files to read, in order: the default file unless --config-file is given,
 * the files of the default .conf.d directory unless --config-dir is given,
 * then the named files, then the *.conf of each named directory (sorted).
 * A named file or directory that does not exist is a ConfigError.
 */
export function resolveConfigFiles(
  opts: { configFiles: string[]; configDirs: string[] },
  env: SearchEnv = { home: homedir() },
): { files: string[]; warnings: string[] } {
  const exists = env.exists ?? existsSync;
  const readdir = env.readdir ?? ((d: string) => readdirSync(d));
  const fix = (p: string): string => resolve(env.cwd ?? process.cwd(), p.replace(/^~(?=$|\/)/, env.home));
  const dirFiles = (dir: string): string[] =>
    readdir(dir)
      .filter((n) => n.endsWith('.conf') && !n.startsWith('.'))
      .map((n) => join(dir, n))
      .sort();
  const first = (name: string): string | undefined => searchDirs(env.home).map((d) => join(d, name)).find(exists);

  const files: string[] = [];
  const warnings: string[] = [];
  if (opts.configFiles.length === 0) {
    const current = first('monasca-persister.conf');
    const old = current ? undefined : first('persister.conf');
    if (old) {
      warnings.push(`Found deprecated old location "${old}" of main configuration file; move it to /etc/monasca/monasca-persister.conf.`);
    }
    const found = current ?? old;
    if (found) files.push(found);
  }
  if (opts.configDirs.length === 0) {
    const dir = first('monasca-persister.conf.d');
    if (dir) files.push(...dirFiles(dir));
  }
  for (const f of opts.configFiles.map(fix)) {
    if (!exists(f)) throw new ConfigError(`${f}: configuration file not found`, { file: f });
    files.push(f);
  }
  for (const d of opts.configDirs.map(fix)) {
    if (!exists(d)) throw new ConfigError(`${d}: configuration directory not found`, { file: d });
    files.push(...dirFiles(d));
  }
  if (files.length === 0) {
    const tried = searchDirs(env.home).map((d) => join(d, 'monasca-persister.conf')).join(', ');
    warnings.push(`No configuration file found (looked for ${tried}); using the defaults.`);
  }
  return { files, warnings };
}
