/**
 * Reading configuration files into a PersisterConfig, with oslo.config semantics:
 * later files override earlier ones option by option; `$group.option`,
 * `${group.option}` and `$option` (same section, then [DEFAULT]) refer to
 * another option's value, in values and in defaults alike; `$$` and `\$` are
 * a literal `$`. Unlike oslo.config every used option is checked at start-up,
 * and unknown sections/options give warnings.
 */
import { readFileSync } from 'node:fs';
import { convert, InvalidValue } from './convert.js';
import { ConfigError, ConfigProblems, REDACTED } from './errors.js';
import { normalizeSection, parseIni } from './ini.js';
import { findOption, findSection, SCHEMA, SUPPORTED_DRIVERS, type OptionSpec } from './schema.js';
import type { DeadLetterConfig, InfluxConfig, MonitoringConfig, PersisterConfig, RepositoriesConfig, SupervisorConfig, TopicConfig, TopicSection } from './types.js';

/** A value set in a file. `key` is the name as written (maybe a deprecated one). */
interface Setting {
  file: string;
  key: string;
  raw: string;
}

interface Resolved {
  /** After interpolation; undefined: no value and no default. */
  text?: string;
  /** A secret option took part in the value. */
  secret: boolean;
  /** The file the value comes from, directly or through a reference. */
  origin?: string;
}

type Settings = Map<string, Map<string, Setting>>;
type Values = Map<string, Map<string, unknown>>;

const REFERENCE = /\\\$|\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\})/gi;

const PIPELINES: readonly { topic: TopicSection; driver: string; unsupported?: string }[] = [
  { topic: 'kafka_metrics', driver: 'metrics_driver' },
  { topic: 'kafka_alarm_history', driver: 'alarm_state_history_driver' },
  { topic: 'kafka_events', driver: 'events_driver', unsupported: 'the events pipeline (Elasticsearch) is not supported yet; set enabled = false' },
];

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const SECRET_KEYS = new Set(SCHEMA.flatMap((s) => s.options.filter((o) => o.secret).map((o) => camel(o.name))));

class Resolver {
  private readonly cache = new Map<string, Resolved>();
  private readonly active: string[] = [];
  /** Every problem found so far (each once): all of them are reported together. */
  readonly problems: ConfigError[] = [];

  constructor(
    private readonly settings: Settings,
    private readonly lastFile: string,
  ) {}

  setting(section: string, name: string): Setting | undefined {
    return this.settings.get(section)?.get(name);
  }

  resolve(section: string, spec: OptionSpec): Resolved {
    const id = `${section}.${spec.name}`;
    const cached = this.cache.get(id);
    if (cached) return cached;
    if (this.active.includes(id)) {
      const loop = [...this.active.slice(this.active.indexOf(id)), id].map((x) => `$${x}`).join(' -> ');
      throw this.error(section, spec, { secret: !!spec.secret }, `circular reference ${loop}`);
    }
    const setting = this.setting(section, spec.name);
    const raw = setting?.raw ?? spec.default;
    const result: Resolved = { secret: !!spec.secret, origin: setting?.file };
    if (raw !== undefined) {
      this.active.push(id);
      try {
        result.text = raw.replace(REFERENCE, (match, dollar?: string, named?: string, braced?: string) => {
          const key = named ?? braced;
          if (key === undefined) return '$'; // `$$` or `\$`
          const target = this.lookup(key, section);
          if (!target) {
            const what = spec.secret ? 'an unknown $ reference' : `an unknown reference ${match}`;
            throw this.error(section, spec, result, `${what} (no such option; write $$ for a literal $)`);
          }
          const ref = this.resolve(target[0], target[1]);
          result.secret ||= ref.secret;
          result.origin ??= ref.origin;
          return ref.text ?? '';
        });
      } finally {
        this.active.pop();
      }
    }
    this.cache.set(id, result);
    return result;
  }

  /** `group.option`, else `option` of the current section, else of [DEFAULT] (as oslo.config). */
  private lookup(key: string, section: string): [string, OptionSpec] | undefined {
    const dot = key.indexOf('.');
    const [group, name] = dot > 0 ? [normalizeSection(key.slice(0, dot)), key.slice(dot + 1)] : [section, key];
    for (const [s, n] of [[group, name], ['DEFAULT', key]]) {
      const found = findOption(s, n);
      if (found && !found.deprecated) return [s, found.spec];
    }
    return undefined;
  }

  /** "file: [section] option = "value" (expands to "..."): reason", secrets redacted. */
  error(section: string, spec: OptionSpec, r: Resolved, reason: string): ConfigError {
    const setting = this.setting(section, spec.name);
    const raw = setting?.raw ?? spec.default;
    const file = setting?.file ?? r.origin ?? this.lastFile;
    const option = setting?.key ?? spec.name;
    const value = raw === undefined ? undefined : spec.secret ? REDACTED : raw;
    let shown = value === undefined ? '' : ` = ${JSON.stringify(value)}`;
    if (r.text !== undefined && r.text !== raw) shown += ` (expands to ${JSON.stringify(r.secret ? REDACTED : r.text)})`;
    return new ConfigError(`${file}: [${section}] ${option}${shown}: ${reason}`, { file, section, option, value });
  }

  problem(e: ConfigError): void {
    if (!this.problems.some((p) => p.message === e.message)) this.problems.push(e);
  }

  /** A topic section's copy of a [kafka] option that is set in neither: unset too, not empty. */
  private inheritsUnset(section: string, spec: OptionSpec): boolean {
    if (section === 'kafka' || this.setting(section, spec.name) || spec.default !== `$kafka.${spec.name}`) return false;
    const common = findOption('kafka', spec.name);
    return common !== undefined && (this.resolve('kafka', common.spec).text ?? '').trim() === '';
  }

  /** Every used option of the schema, converted to its type. */
  values(): Values {
    const values: Values = new Map();
    for (const section of SCHEMA) {
      const converted = new Map<string, unknown>();
      values.set(section.name, converted);
      for (const spec of section.options) {
        if (spec.unused) continue;
        try {
          const r = this.resolve(section.name, spec);
          if (r.text === undefined || (spec.default === undefined && r.text.trim() === '') || this.inheritsUnset(section.name, spec)) continue;
          try {
            const value = convert(spec, r.text);
            if (value !== undefined) converted.set(spec.name, value);
          } catch (e) {
            if (e instanceof InvalidValue) throw this.error(section.name, spec, r, e.message);
            throw e;
          }
        } catch (e) {
          // a bad value, or a bad reference: noted, and the other options are read on
          if (e instanceof ConfigError) this.problem(e);
          else throw e;
        }
      }
    }
    return values;
  }
}

function readSettings(files: string[], warn: (w: string) => void): Settings {
  const settings: Settings = new Map();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`${file}: cannot read the configuration file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file });
    }
    for (const [section, entries] of parseIni(text, file)) {
      if (!findSection(section)) {
        warn(`${file}: unknown section [${section}] is ignored.`);
        continue;
      }
      const target = settings.get(section) ?? new Map<string, Setting>();
      settings.set(section, target);
      const keys = [...entries.keys()].map((key) => ({ key, found: findOption(section, key) }));
      // Deprecated names first, so that the current name wins within one file.
      keys.sort((a, b) => Number(!!b.found?.deprecated) - Number(!!a.found?.deprecated));
      for (const { key, found } of keys) {
        if (!found) {
          warn(`${file}: unknown option "${key}" in section [${section}] is ignored.`);
          continue;
        }
        if (found.deprecated) warn(`${file}: option "${key}" in section [${section}] is deprecated; use "${found.spec.name}" instead.`);
        if (typeof found.spec.unused === 'string') warn(`${file}: option "${key}" in section [${section}] ${found.spec.unused}.`);
        target.set(found.spec.name, { file, key, raw: entries.get(key)!.value });
      }
    }
  }
  return settings;
}

function camelize(values: Map<string, unknown>): Record<string, unknown> {
  return Object.fromEntries([...values].map(([k, v]) => [camel(k), v]));
}

/**
 * Every used option that has a value, after defaults, references and [kafka] inheritance:
 * section -> option name (as in the files) -> typed value. A secret, and a value that takes
 * one in through a reference, is "***".
 */
export type EffectiveOptions = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

/**
 * Reads the files in order (later ones win) and checks every value. Throws ConfigError, naming
 * every problem found (ConfigProblems when there are several).
 */
export function loadConfig(files: string[]): PersisterConfig {
  return loadEffectiveConfig(files).config;
}

/** loadConfig, and the options it read by their names in the files (for `monasca-persister config`). */
export function loadEffectiveConfig(files: string[]): { config: PersisterConfig; options: EffectiveOptions } {
  const warnings: string[] = [];
  const warn = (w: string): void => {
    if (!warnings.includes(w)) warnings.push(w);
  };
  const lastFile = files.at(-1) ?? '(no file)';
  const resolver = new Resolver(readSettings(files, warn), lastFile);
  const values = resolver.values();
  const get = (section: string, name: string): unknown => values.get(section)!.get(name);
  const fail = (section: string, name: string, reason: string): void => {
    const spec = findOption(section, name)!.spec;
    resolver.problem(resolver.error(section, spec, resolver.resolve(section, spec), reason));
  };

  const inUse = new Set<string>();
  for (const p of PIPELINES) {
    if (!get(p.topic, 'enabled')) continue;
    if (p.unsupported) {
      fail(p.topic, 'enabled', p.unsupported);
      continue;
    }
    // An option whose value was refused has none here: the checks that need it are left out.
    const driver = get('repositories', p.driver) as string | undefined;
    if (driver !== undefined && !SUPPORTED_DRIVERS.includes(driver)) {
      fail('repositories', p.driver, `the ${driver} driver is not supported yet (supported: ${SUPPORTED_DRIVERS.join(', ')})`);
    } else if (driver !== undefined) inUse.add(driver);
    const protocol = get(p.topic, 'security_protocol') as string | undefined;
    if (protocol?.startsWith('SASL_')) {
      for (const name of ['sasl_plain_username', 'sasl_plain_password']) {
        if (!get(p.topic, name)) fail(p.topic, name, `is required with security_protocol = ${protocol}`);
      }
    }
    if (get('dead_letter', 'enabled') && get('dead_letter', 'topic') === get(p.topic, 'topic')) {
      fail('dead_letter', 'topic', `is the topic [${p.topic}] reads: dead letters would be read again; name another topic`);
    }
    if (!get(p.topic, 'ssl_certfile') !== !get(p.topic, 'ssl_keyfile')) {
      fail(p.topic, get(p.topic, 'ssl_certfile') ? 'ssl_keyfile' : 'ssl_certfile', 'ssl_certfile and ssl_keyfile are set together (a client certificate and its key)');
    }
  }
  if (inUse.size === 0 && resolver.problems.length === 0) {
    warn(`No pipeline is enabled (${PIPELINES.map((p) => `[${p.topic}]`).join(', ')} all have enabled = false): the persister has nothing to do.`);
  }
  const refused = (section: string, option: string) => resolver.problems.some((p) => p.section === section && p.option === option);
  if (inUse.has('influxdb') && get('influxdb', 'ip_address') === undefined && !refused('influxdb', 'ip_address')) {
    const file = resolver.setting('influxdb', 'ip_address')?.file ?? lastFile;
    resolver.problem(
      new ConfigError(`${file}: [influxdb] ip_address is required when an InfluxDB driver is in use (the IP address or host name of InfluxDB)`, {
        file,
        section: 'influxdb',
        option: 'ip_address',
      }),
    );
  }
  if (resolver.problems.length === 1) throw resolver.problems[0];
  if (resolver.problems.length > 1) throw new ConfigProblems(resolver.problems);

  const options = new Map(
    [...values].map(([section, converted]) => [
      section,
      new Map([...converted].map(([name, v]) => [name, resolver.resolve(section, findOption(section, name)!.spec).secret ? REDACTED : v])),
    ]),
  );
  const topic = (section: TopicSection): TopicConfig => ({ section, ...camelize(values.get(section)!) }) as TopicConfig;
  const config: PersisterConfig = {
    files: [...files],
    ...(camelize(values.get('DEFAULT')!) as Pick<PersisterConfig, 'debug' | 'logFile' | 'logDir' | 'useStderr'>),
    metrics: topic('kafka_metrics'),
    alarmHistory: topic('kafka_alarm_history'),
    events: topic('kafka_events'),
    influxdb: { ipAddress: '', ...camelize(values.get('influxdb')!) } as InfluxConfig,
    repositories: camelize(values.get('repositories')!) as unknown as RepositoriesConfig,
    supervisor: camelize(values.get('supervisor')!) as unknown as SupervisorConfig,
    monitoring: camelize(values.get('monitoring')!) as unknown as MonitoringConfig,
    deadLetter: camelize(values.get('dead_letter')!) as unknown as DeadLetterConfig,
    warnings,
  };
  return { config, options };
}

/** A copy safe to log: every secret (password) that is set becomes "***". */
export function redactedConfig(c: PersisterConfig): unknown {
  const redact = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(redact);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.has(k) && x !== undefined ? REDACTED : redact(x)]));
  };
  return redact(c);
}
