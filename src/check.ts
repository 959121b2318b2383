/**
 * `monasca-persister check`: whether a configuration and the services it names work, before a
 * production daemon is restarted with it. It reads the configuration and reports every problem at
 * once; then, for a valid one, connects to each enabled topic's Kafka brokers (the topic must
 * exist), to those of the dead-letter topic when it is enabled, and to InfluxDB (the credentials, the database or the right to create it, its default
 * retention policy). One line per check, `ok` or `FAIL` with what to fix. It writes nothing and
 * joins no consumer group.
 *
 * Exit status: 0 when every check passed; 78 when one found a configuration fault (a bad value, a
 * missing topic, refused credentials...); otherwise 69 when a service could not be reached.
 */
import { enabledTopics, influxHttp } from './app.js';
import { ConfigError, ConfigProblems, loadConfig, type PersisterConfig, type TopicConfig } from './config/index.js';
import { deadLetterClusters } from './dead-letter.js';
import { ExitCode } from './exit-codes.js';
import { influxUrl, quoteIdentifier } from './influx/client.js';
import { InfluxError } from './influx/errors.js';
import { kafkaClient } from './kafka/client.js';
import { classifyKafkaError } from './kafka/errors.js';
import { clientSecurity } from './kafka/security.js';
import { Fault, faultOf } from './ports/faults.js';

type Outcome = 'ok' | 'warn' | 'config' | 'unreachable';

export interface CheckLine {
  outcome: Outcome;
  what: string;
  detail: string;
}

const LABEL: Record<Outcome, string> = { ok: 'ok  ', warn: 'warn', config: 'FAIL', unreachable: 'FAIL' };

export function formatLine(l: CheckLine): string {
  return `${LABEL[l.outcome]} ${l.what}: ${l.detail}`;
}

/** How long a service may take to answer a check. */
const TIMEOUT_MS = 5_000;

interface TopicCheck {
  what: string;
  brokers: string[];
  /** The topic section whose client settings (client id, security) are used. */
  settings: TopicConfig;
  /** The topic. */
  name: string;
  whenMissing: CheckLine;
  /** The option to fix when no broker answers. */
  fixUri: string;
  /** What to grant when the client is not authorized. */
  access: string;
}

/** One topic at some brokers, reached with the settings of a topic section. */
async function checkTopic(report: (l: CheckLine) => void, { what, brokers, settings, name, whenMissing, fixUri, access }: TopicCheck): Promise<void> {
  const kafka = kafkaClient({
    brokers,
    security: clientSecurity(settings),
    clientId: settings.clientId,
    tuning: { connectionTimeout: TIMEOUT_MS, requestTimeout: TIMEOUT_MS, retry: { retries: 1, initialRetryTime: 300 } },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    // Listed first: asking for the metadata of a missing topic may create it.
    if (!(await admin.listTopics()).includes(name)) {
      report(whenMissing);
      return;
    }
    const meta = await admin.fetchTopicMetadata({ topics: [name] });
    const partitions = meta.topics[0]?.partitions.length ?? 0;
    report({ outcome: 'ok', what, detail: `connected; topic ${name} has ${partitions} partition${partitions === 1 ? '' : 's'}` });
  } catch (err) {
    const fault = classifyKafkaError(err, name, [], access);
    report(
      fault.fault === Fault.CONFIGURATION
        ? { outcome: 'config', what, detail: fault.message }
        : { outcome: 'unreachable', what, detail: `no broker answered (${err instanceof Error ? err.message : String(err)}): check ${fixUri} and that Kafka runs` },
    );
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function checkKafka(config: PersisterConfig, report: (l: CheckLine) => void): Promise<void> {
  const { deadLetter } = config;
  const topics = enabledTopics(config).map(([, t]) => t);
  for (const topic of topics) {
    const what = `kafka [${topic.section}] ${topic.uri.join(',')}`;
    await checkTopic(report, {
      what,
      brokers: topic.uri,
      settings: topic,
      name: topic.topic,
      whenMissing: { outcome: 'config', what, detail: `topic ${topic.topic} does not exist: create it, or fix [${topic.section}] topic` },
      fixUri: `[${topic.section}] uri`,
      access: 'read on the topic and its consumer group',
    });
  }
  if (!deadLetter.enabled) return;
  for (const { brokers, settings } of deadLetterClusters(deadLetter, topics)) {
    const what = `kafka [dead_letter] ${brokers.join(',')}`;
    await checkTopic(report, {
      what,
      brokers,
      settings,
      name: deadLetter.topic,
      whenMissing: {
        outcome: 'warn',
        what,
        detail: `topic ${deadLetter.topic} does not exist yet: the first dead letter creates it where the brokers allow it (auto.create.topics.enable); otherwise create it`,
      },
      fixUri: deadLetter.uri ? '[dead_letter] uri' : `[${settings.section}] uri`,
      access: 'write on the topic (and create, if it is to be created on first use)',
    });
  }
}

function influxFailure(what: string, err: unknown): CheckLine {
  const detail = err instanceof Error ? err.message : String(err);
  return { outcome: faultOf(err) === Fault.CONFIGURATION ? 'config' : 'unreachable', what, detail };
}

async function checkInflux(config: PersisterConfig, report: (l: CheckLine) => void): Promise<void> {
  const { influxdb } = config;
  const what = `influxdb ${influxUrl(influxdb)}`;
  const http = influxHttp(config);
  let databases: string[];
  try {
    const r = await http.query('SHOW DATABASES');
    databases = (r[0]?.series?.[0]?.values ?? []).map((v) => String(v[0]));
    report({ outcome: 'ok', what, detail: influxdb.user ? `credentials of user ${influxdb.user} accepted` : 'answered (no credentials configured)' });
  } catch (err) {
    report(influxFailure(what, err));
    return;
  }
  // Creating databases needs admin rights, which SHOW USERS needs too (without authentication, anyone has them).
  const mayCreate = async () => {
    try {
      await http.query('SHOW USERS');
      return true;
    } catch (err) {
      if (err instanceof InfluxError && faultOf(err) !== Fault.CONFIGURATION) throw err;
      return false;
    }
  };
  const database = influxdb.databaseName;
  try {
    if (influxdb.dbPerTenant) {
      const existing = databases.filter((d) => d.startsWith(`${database}_`)).length;
      const creatable = await mayCreate();
      report({
        outcome: creatable ? 'ok' : 'config',
        what: `${what} databases ${database}_<tenant>`,
        detail: `${existing} exist${creatable ? '; the others are created on their first write' : `; user ${influxdb.user} may not create the others: grant it admin rights, or create them beforehand`}`,
      });
      return;
    }
    if (!databases.includes(database)) {
      const creatable = await mayCreate();
      report({
        outcome: creatable ? 'ok' : 'config',
        what: `${what} database ${database}`,
        detail: creatable
          ? `does not exist yet: created on the first write${influxdb.defaultRetentionHours > 0 ? `, with the default retention policy ${influxdb.defaultRetentionHours}h` : ''}`
          : `does not exist, and user ${influxdb.user} may not create it: create it, or fix [influxdb] database_name`,
      });
      return;
    }
    const policies = await http.query(`SHOW RETENTION POLICIES ON ${quoteIdentifier(database)}`);
    const rows = policies[0]?.series?.[0];
    const columns = rows?.columns ?? [];
    const byName = (row: unknown[], c: string) => row[columns.indexOf(c)];
    const current = (rows?.values ?? []).find((row) => byName(row, 'default') === true);
    report(
      current
        ? { outcome: 'ok', what: `${what} database ${database}`, detail: `exists; default retention policy ${String(byName(current, 'name'))} (duration ${String(byName(current, 'duration'))})` }
        : { outcome: 'config', what: `${what} database ${database}`, detail: 'exists but has no default retention policy: writes will fail; create one (CREATE RETENTION POLICY ... DEFAULT)' },
    );
  } catch (err) {
    report(influxFailure(`${what} database ${database}`, err));
  }
}

/** Runs every check, printing each line; the exit status. */
export async function runChecks(files: string[], print: (line: string) => void, warnings: readonly string[] = []): Promise<ExitCode> {
  const lines: CheckLine[] = [];
  const report = (l: CheckLine) => {
    lines.push(l);
    print(formatLine(l));
  };
  let config: PersisterConfig;
  try {
    config = loadConfig(files);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err instanceof ConfigProblems ? err.problems : [err]) report({ outcome: 'config', what: 'configuration', detail: p.message });
    return ExitCode.CONFIG;
  }
  report({ outcome: 'ok', what: 'configuration', detail: `${config.files.join(', ')} read; pipelines: ${enabledTopics(config).map(([, t]) => `[${t.section}] ${t.topic}`).join(', ') || 'none'}` });
  for (const w of [...warnings, ...config.warnings]) report({ outcome: 'warn', what: 'configuration', detail: w });
  await checkKafka(config, report);
  await checkInflux(config, report);
  if (lines.some((l) => l.outcome === 'config')) return ExitCode.CONFIG;
  if (lines.some((l) => l.outcome === 'unreachable')) return ExitCode.UNAVAILABLE;
  return ExitCode.OK;
}
