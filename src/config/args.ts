/** The command line and the choice of configuration files (oslo.config's search rules). */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, UsageError } from './errors.js';

export const USAGE = `Usage: monasca-persister [--config-file FILE]... [--config-dir DIR]... [--version] [-h|--help]

  --config-file FILE  read FILE; repeatable, later files override earlier ones
  --config-dir DIR    then read every *.conf in DIR, in sorted order; repeatable
  --version           print the version and exit
  -h, --help          print this help and exit

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

/** Parses the arguments after the program name (process.argv.slice(2)). Throws UsageError. */
export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { configFiles: [], configDirs: [], help: false, version: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--(config-file|config-dir)(?:=(.*))?$/s.exec(arg);
    if (m) {
      const value = m[2] ?? argv[++i];
      if (value === undefined || value === '' || (m[2] === undefined && value.startsWith('-'))) {
        throw new UsageError(`--${m[1]} needs a ${m[1] === 'config-file' ? 'file' : 'directory'} name\n\n${USAGE}`);
      }
      (m[1] === 'config-file' ? out.configFiles : out.configDirs).push(value);
    } else if (arg === '-h' || arg === '--help') out.help = true;
    else if (arg === '--version') out.version = true;
    else if (arg === '--') {
      out.rest.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}\n\n${USAGE}`);
    else out.rest.push(arg);
  }
  return out;
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
