import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseIni } from '../../src/config/ini.js';
import {
  ConfigError,
  ConfigProblems,
  formatIni,
  loadConfig,
  loadEffectiveConfig,
  parseArgs,
  redactedConfig,
  resolveConfigFiles,
  SCHEMA,
  USAGE,
  UsageError,
  type PersisterConfig,
} from '../../src/config/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/config');
const fixture = (name: string): string => join(FIXTURES, name);

const TMP = mkdtempSync(join(tmpdir(), 'persister-config-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
let counter = 0;
/** Writes a file in a fresh temporary directory and returns its path. */
function write(text: string, name = 'test.conf'): string {
  const dir = join(TMP, String(++counter));
  mkdirSync(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const INFLUX = '[influxdb]\nip_address = 10.0.0.1\n';
/** Loads one file with a valid [influxdb] ip_address prepended. */
const load = (text: string): PersisterConfig => loadConfig([write(INFLUX + text)]);

function throwsConfigError(fn: () => unknown, parts: string[], exitCode = 78): ConfigError {
  let caught: unknown;
  assert.throws(fn, (e: unknown) => {
    caught = e;
    return e instanceof ConfigError;
  });
  const err = caught as ConfigError;
  assert.equal(err.exitCode, exitCode);
  for (const p of parts) assert.ok(err.message.includes(p), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(p)}`);
  return err;
}

const topicDefaults = {
  enabled: true,
  uri: ['127.0.0.1:9092'],
  consumerId: 'monasca-persister',
  clientId: 'monasca-persister',
  maxWaitTimeSeconds: 30,
  fetchSizeBytes: 4096,
  bufferSize: 4096,
  maxBufferSize: 32768,
  numProcessors: 1,
  legacyKafkaClientEnabled: false,
  securityProtocol: 'PLAINTEXT',
  sslCheckHostname: true,
  saslMechanism: 'PLAIN',
};

describe('defaults', () => {
  test('an empty file plus ip_address gives every default of the reference', () => {
    const file = write(INFLUX);
    const c = loadConfig([file]);
    assert.deepEqual(c, {
      files: [file],
      debug: false,
      metrics: { ...topicDefaults, section: 'kafka_metrics', groupId: '1_metrics', topic: 'metrics', zookeeperPath: '/persister_partitions/metrics', batchSize: 20000 },
      alarmHistory: {
        ...topicDefaults,
        section: 'kafka_alarm_history',
        groupId: '1_alarm-state-transitions',
        topic: 'alarm-state-transitions',
        zookeeperPath: '/persister_partitions/alarm-state-transitions',
        batchSize: 1,
      },
      events: { ...topicDefaults, section: 'kafka_events', enabled: false, groupId: '1_events', topic: 'monevents', zookeeperPath: '/persister_partitions/monevents', batchSize: 1 },
      influxdb: {
        databaseName: 'mon',
        dbPerTenant: false,
        defaultRetentionHours: 0,
        batchSize: 10000,
        ipAddress: '10.0.0.1',
        port: 8086,
        ssl: false,
        verifySsl: false,
        gzip: false,
        user: 'mon_persister',
      },
      repositories: { metricsDriver: 'influxdb', alarmStateHistoryDriver: 'influxdb', eventsDriver: 'elasticsearch' },
      supervisor: {
        writeAttempts: 5,
        writeRetryInitialSeconds: 0.5,
        writeRetryMaxSeconds: 10,
        restartInitialDelaySeconds: 1,
        restartMaxDelaySeconds: 60,
        healthyAfterSeconds: 60,
        maxRestarts: 10,
        restartPeriodSeconds: 600,
        kafkaLossGraceSeconds: 60,
        stopTimeoutSeconds: 60,
        pipelineThreads: 'auto',
      },
      monitoring: { enabled: true, bindAddress: '127.0.0.1', port: 8091, inspector: false },
      deadLetter: { enabled: false, topic: 'monasca-persister-dead-letters' },
      warnings: [],
    });
    assert.equal(c.logFile, undefined);
    assert.equal(c.useStderr, undefined);
    assert.equal(c.influxdb.password, undefined);
  });

  test('the schema is frozen', () => {
    assert.ok(Object.isFrozen(SCHEMA));
    assert.ok(Object.isFrozen(SCHEMA[1].options[0]));
    assert.throws(() => {
      (SCHEMA[1].options[0] as { default?: string }).default = 'x';
    }, TypeError);
  });
});

describe('real files', () => {
  test('the kolla-ansible file loads unchanged', () => {
    const c = loadConfig([fixture('kolla.conf')]);
    assert.deepEqual(c.warnings, []);
    assert.equal(c.debug, false);
    assert.equal(c.logFile, 'monasca-persister.log');
    assert.equal(c.logDir, '/var/log/kolla/monasca');
    assert.equal(c.influxdb.databaseName, 'monasca');
    assert.equal(c.influxdb.ipAddress, '10.0.0.10');
    assert.equal(c.influxdb.port, 8086);
    for (const t of [c.metrics, c.alarmHistory]) {
      assert.equal(t.enabled, true);
      assert.deepEqual(t.uri, ['10.0.0.11:9092', '10.0.0.12:9092']);
      assert.equal(t.numProcessors, 1);
    }
    assert.equal(c.metrics.topic, 'metrics');
    assert.equal(c.alarmHistory.topic, 'alarm-state-transitions');
    assert.equal(c.events.enabled, false);
  });

  test('an old-style file: deprecated and unknown names are warnings, not errors', () => {
    const file = fixture('legacy.conf');
    const c = loadConfig([file]);
    assert.equal(c.debug, true);
    assert.equal(c.metrics.batchSize, 1000);
    assert.equal(c.metrics.consumerId, '1');
    assert.equal(c.influxdb.password, 'legacy-s3cret');
    assert.deepEqual(c.warnings, [
      `${file}: option "log_config_append" in section [DEFAULT] names a Python logging configuration file, which this persister cannot read; it is ignored (logging is set by debug, log_file, log_dir and use_stderr).`,
      `${file}: unknown option "general_log" in section [DEFAULT] is ignored.`,
      `${file}: option "database_batch_size" in section [kafka_metrics] is deprecated; use "batch_size" instead.`,
      `${file}: unknown section [mysql] is ignored.`,
    ]);
  });

  test('the sample etc/monasca-persister.conf loads without warnings and points at a local stack', () => {
    const c = loadConfig([join(ROOT, 'etc/monasca-persister.conf')]);
    assert.deepEqual(c.warnings, []);
    assert.deepEqual(c.metrics.uri, ['127.0.0.1:9092']);
    assert.deepEqual(c.alarmHistory.uri, ['127.0.0.1:9092']);
    assert.equal(c.influxdb.ipAddress, '127.0.0.1');
    assert.equal(c.influxdb.port, 8086);
  });

  test('the sample documents every option with its default, in its section', () => {
    const text = readFileSync(join(ROOT, 'etc/monasca-persister.conf'), 'utf8');
    const sections = new Map<string, string>();
    for (const part of text.split(/^(?=\[[^\]]+\]$)/m)) {
      const m = /^\[([^\]]+)\]$/m.exec(part);
      if (m) sections.set(m[1], part);
    }
    for (const s of SCHEMA) {
      const body = sections.get(s.name);
      assert.ok(body, `section [${s.name}] missing from the sample`);
      for (const o of s.options) {
        if (typeof o.unused === 'string' && o.name !== 'log_config_append') {
          assert.ok(body.includes(o.name), `[${s.name}] ${o.name} not mentioned in the sample`);
        } else {
          const line = `#${o.name} = ${o.default ?? ''}`.trimEnd();
          assert.ok(body.split('\n').includes(line), `[${s.name}] lacks "${line}"`);
        }
      }
    }
  });
});

describe('syntax', () => {
  test('comments (# and ;), key: value, quotes, continuation lines, no inline comments', () => {
    const c = loadConfig([fixture('syntax.conf')]);
    assert.deepEqual(c.warnings, []);
    assert.equal(c.debug, true);
    assert.equal(c.logDir, '/var/log/monasca');
    assert.equal(c.logFile, 'persister.log');
    assert.deepEqual(c.metrics.uri, ['10.0.0.1:9092', '10.0.0.2:9092', '10.0.0.3:9092']);
    assert.equal(c.metrics.topic, 'metrics # not a comment: oslo has no inline comments');
    assert.equal(c.metrics.groupId, 'grp');
    assert.equal(c.influxdb.ipAddress, 'influx.example.org');
    assert.equal(c.influxdb.user, 'a$b$c');
  });

  test('a continuation line joins with a newline; a blank line ends the value', () => {
    const c = load('[kafka_metrics]\ngroup_id = first\n  second\n\n  ; indented comment, no value to continue\ntopic = t\n');
    assert.equal(c.metrics.groupId, 'first\nsecond');
    assert.equal(c.metrics.topic, 't');
  });

  test('section names are case-insensitive, except DEFAULT', () => {
    const file = write('[INFLUXDB]\nip_address = h\n[Kafka_Metrics]\ntopic = x\n[default]\ndebug = true\n');
    const c = loadConfig([file]);
    assert.equal(c.metrics.topic, 'x');
    assert.equal(c.debug, false);
    assert.deepEqual(c.warnings, [`${file}: unknown section [default] is ignored.`]);
  });

  test('parse errors name the file and line', () => {
    let file = write('debug = true\n');
    throwsConfigError(() => loadConfig([file]), [`${file}:1:`, 'outside of any section']);
    file = write('[DEFAULT]\n[influxdb\n');
    throwsConfigError(() => loadConfig([file]), [`${file}:2:`, 'section']);
    file = write('[DEFAULT]\njust words\n');
    throwsConfigError(() => loadConfig([file]), [`${file}:2:`, '"="']);
  });

  test('a file that cannot be read is a ConfigError', () => {
    const file = join(TMP, 'missing.conf');
    throwsConfigError(() => loadConfig([file]), [file]);
  });
});

describe('booleans', () => {
  for (const [spelling, value] of [
    ['true', true], ['TRUE', true], ['True', true], ['yes', true], ['YES', true], ['Yes', true], ['on', true], ['ON', true], ['oN', true], ['1', true],
    ['false', false], ['FALSE', false], ['False', false], ['no', false], ['NO', false], ['No', false], ['off', false], ['OFF', false], ['Off', false], ['0', false],
  ] as const) {
    test(`"${spelling}" is ${value}`, () => {
      const c = load(`[influxdb]\nssl = ${spelling}\n[DEFAULT]\ndebug = ${spelling}\n`);
      assert.equal(c.influxdb.ssl, value);
      assert.equal(c.debug, value);
    });
  }
});

describe('references', () => {
  test('buffer_size defaults to $kafka.fetch_size_bytes', () => {
    let c = load('[kafka]\nfetch_size_bytes = 8192\n');
    assert.equal(c.metrics.fetchSizeBytes, 8192);
    assert.equal(c.metrics.bufferSize, 8192);
    assert.equal(c.events.bufferSize, 8192);
    // As in oslo.config: a topic's buffer_size follows [kafka], not the topic's own fetch_size_bytes.
    c = load('[kafka_metrics]\nfetch_size_bytes = 1000\n');
    assert.equal(c.metrics.fetchSizeBytes, 1000);
    assert.equal(c.metrics.bufferSize, 4096);
  });

  test('$group.option, ${group.option}, $option of the same section, $$ and \\$', () => {
    const c = load(
      '[kafka_metrics]\ntopic = m1\ngroup_id = ${kafka_metrics.topic}-group\nclient_id = $kafka_alarm_history.topic/$topic\nconsumer_id = $$x \\$y\nbatch_size = $kafka_alarm_history.batch_size\n' +
        '[kafka_alarm_history]\nbatch_size = 77\n',
    );
    assert.equal(c.metrics.groupId, 'm1-group');
    assert.equal(c.metrics.clientId, 'alarm-state-transitions/m1');
    assert.equal(c.metrics.consumerId, '$x $y');
    assert.equal(c.metrics.batchSize, 77);
    assert.equal(c.metrics.zookeeperPath, '/persister_partitions/m1');
  });

  test('a reference sees the final value, even one set in a later file', () => {
    const a = write(INFLUX + '[kafka_metrics]\ntopic = t-$influxdb.database_name\n');
    const b = write('[influxdb]\ndatabase_name = late\n');
    assert.equal(loadConfig([a, b]).metrics.topic, 't-late');
  });

  test('a reference to an option without value is empty', () => {
    assert.equal(load('[kafka_metrics]\ntopic = x$DEFAULT.log_dir\n').metrics.topic, 'x');
  });

  test('an unknown reference is a ConfigError', () => {
    const file = write(INFLUX + '[kafka_metrics]\ntopic = $kafka.nope\n');
    const err = throwsConfigError(() => loadConfig([file]), [file, '[kafka_metrics]', 'topic', '"$kafka.nope"', 'unknown reference $kafka.nope']);
    assert.equal(err.section, 'kafka_metrics');
    assert.equal(err.option, 'topic');
    const file2 = write(INFLUX + '[kafka_metrics]\ntopic = ${nosuch.option}\n');
    throwsConfigError(() => loadConfig([file2]), [file2, 'unknown reference ${nosuch.option}']);
  });

  test('a circular reference is a ConfigError', () => {
    const file = write(INFLUX + '[kafka_metrics]\ntopic = $kafka_metrics.group_id\ngroup_id = $kafka_metrics.topic\n');
    throwsConfigError(() => loadConfig([file]), [file, '[kafka_metrics]', 'circular reference']);
  });
});

describe('[kafka] inheritance', () => {
  test('[kafka] values apply to every topic section that does not set them', () => {
    const c = load('[kafka]\nnum_processors = 3\nmax_wait_time_seconds = 5\nclient_id = common\n[kafka_alarm_history]\nnum_processors = 2\n');
    assert.equal(c.metrics.numProcessors, 3);
    assert.equal(c.alarmHistory.numProcessors, 2);
    assert.equal(c.events.numProcessors, 3);
    for (const t of [c.metrics, c.alarmHistory, c.events]) {
      assert.equal(t.maxWaitTimeSeconds, 5);
      assert.equal(t.clientId, 'common');
    }
  });

  test('a bad [kafka] value names [kafka]', () => {
    const file = write(INFLUX + '[kafka]\nnum_processors = 0\n');
    throwsConfigError(() => loadConfig([file]), [file, '[kafka] num_processors = "0"']);
  });

  test('[kafka] does not take topic options', () => {
    const file = write(INFLUX + '[kafka]\nuri = 10.9.9.9:9092\n');
    const c = loadConfig([file]);
    assert.deepEqual(c.metrics.uri, ['127.0.0.1:9092']);
    assert.deepEqual(c.warnings, [`${file}: unknown option "uri" in section [kafka] is ignored.`]);
  });
});

describe('several files', () => {
  test('later files override earlier ones; sections merge', () => {
    const a = write(INFLUX + '[kafka_metrics]\nbatch_size = 10\ntopic = from-a\n', 'a.conf');
    const b = write('[kafka_metrics]\nbatch_size = 20\n', 'b.conf');
    let c = loadConfig([a, b]);
    assert.equal(c.metrics.batchSize, 20);
    assert.equal(c.metrics.topic, 'from-a');
    assert.deepEqual(c.files, [a, b]);
    c = loadConfig([b, a]);
    assert.equal(c.metrics.batchSize, 10);
  });

  test('database_batch_size is an old name of batch_size', () => {
    const file = write(INFLUX + '[kafka_alarm_history]\ndatabase_batch_size = 5\n');
    const c = loadConfig([file]);
    assert.equal(c.alarmHistory.batchSize, 5);
    assert.deepEqual(c.warnings, [`${file}: option "database_batch_size" in section [kafka_alarm_history] is deprecated; use "batch_size" instead.`]);
    // In one file the current name wins, whatever the order...
    assert.equal(load('[kafka_metrics]\nbatch_size = 7\ndatabase_batch_size = 8\n').metrics.batchSize, 7);
    // ...but a later file's old name overrides an earlier file's current name (as oslo.config).
    const later = write('[kafka_metrics]\ndatabase_batch_size = 9\n');
    assert.equal(loadConfig([write(INFLUX + '[kafka_metrics]\nbatch_size = 7\n'), later]).metrics.batchSize, 9);
    // A bad value is reported under the name used in the file.
    const bad = write(INFLUX + '[kafka_metrics]\ndatabase_batch_size = lots\n');
    throwsConfigError(() => loadConfig([bad]), [bad, '[kafka_metrics] database_batch_size = "lots"', 'not an integer']);
  });
});

describe('unknown sections and options', () => {
  test('are warnings naming file, section and option, never values', () => {
    const file = write(INFLUX + '[DEFAULT]\ngeneral_log = True\n[kafka]\nsasl_password = hunter2\n[nosuch]\nx = 1\n');
    const c = loadConfig([file]);
    assert.deepEqual(c.warnings, [
      `${file}: unknown option "general_log" in section [DEFAULT] is ignored.`,
      `${file}: unknown option "sasl_password" in section [kafka] is ignored.`,
      `${file}: unknown section [nosuch] is ignored.`,
    ]);
    assert.ok(!c.warnings.join('\n').includes('hunter2'));
  });

  test('oslo.log options are ignored with a notice', () => {
    const file = write(INFLUX + '[DEFAULT]\nuse_syslog = true\n');
    assert.deepEqual(loadConfig([file]).warnings, [
      `${file}: option "use_syslog" in section [DEFAULT] is an oslo.log option this persister does not implement; it is ignored.`,
    ]);
  });

  test('[repositories] ignore_parse_point_error is accepted and unused, with a notice', () => {
    for (const value of ['true', 'false', 'maybe']) {
      const file = write(`${INFLUX}[repositories]\nignore_parse_point_error = ${value}\n`);
      const c = loadConfig([file]);
      assert.deepEqual(c.warnings, [
        `${file}: option "ignore_parse_point_error" in section [repositories] is accepted and unused: points InfluxDB refuses are always dropped, logged and counted while the rest of the batch is stored, whatever its value.`,
      ]);
      assert.ok(!('ignoreParsePointError' in c.repositories));
    }
  });

  test('unused sections ([zookeeper], [cassandra], [elasticsearch]) are accepted and not checked', () => {
    const c = load('[zookeeper]\nuri = zk:2181\npartition_interval_recheck_seconds = soon\n[cassandra]\nport = x\npassword = p\n[elasticsearch]\nhosts = a,b\n');
    assert.deepEqual(c.warnings, []);
  });
});

test('[supervisor] pipeline_threads: auto, or any boolean word', () => {
  for (const [text, value] of [['AUTO', 'auto'], ['yes', true], ['On', true], ['0', false], ['false', false]] as const) {
    assert.equal(load(`[supervisor]\npipeline_threads = ${text}\n`).supervisor.pipelineThreads, value, text);
  }
});

describe('invalid values', () => {
  const cases: [section: string, option: string, value: string, reason: string][] = [
    ['influxdb', 'port', 'abc', 'not a port number (1-65535)'],
    ['influxdb', 'port', '0', 'not a port number (1-65535)'],
    ['influxdb', 'port', '70000', 'not a port number (1-65535)'],
    ['influxdb', 'port', '80.5', 'not a port number'],
    ['influxdb', 'ip_address', 'http://10.0.0.1', 'not an IP address or host name'],
    ['influxdb', 'batch_size', 'x', 'not an integer'],
    ['influxdb', 'default_retention_hours', '-1', 'must be at least 0'],
    ['influxdb', 'ssl', 'maybe', 'not a boolean'],
    ['kafka_metrics', 'uri', '10.0.0.1', 'is not host:port'],
    ['kafka_metrics', 'uri', '10.0.0.1:9092,10.0.0.2', '"10.0.0.2" is not host:port'],
    ['kafka_metrics', 'uri', '10.0.0.1:abc', 'not a port number'],
    ['kafka_metrics', 'uri', '', 'needs at least one host:port'],
    ['kafka_metrics', 'num_processors', '0', 'must be at least 1'],
    ['kafka_metrics', 'num_processors', '-1', 'must be at least 1'],
    ['kafka_metrics', 'num_processors', 'x', 'not an integer'],
    ['kafka_metrics', 'num_processors', '1.5', 'not an integer'],
    ['kafka_metrics', 'batch_size', 'x', 'not an integer'],
    ['kafka_metrics', 'enabled', 'maybe', 'not a boolean'],
    ['kafka_metrics', 'enabled', 'auto', 'not a boolean'],
    ['supervisor', 'pipeline_threads', 'maybe', 'not auto or a boolean'],
    ['kafka_alarm_history', 'max_wait_time_seconds', '', 'not an integer'],
    ['repositories', 'metrics_driver', 'monasca_persister.repositories.cassandra.metrics_repository:MetricCassandraRepository', 'cassandra driver is not supported yet'],
    ['repositories', 'alarm_state_history_driver', 'cassandra', 'cassandra driver is not supported yet'],
    ['repositories', 'metrics_driver', 'mysql', 'unknown driver'],
    ['repositories', 'events_driver', 'influxdb', 'unknown driver'],
  ];
  for (const [section, option, value, reason] of cases) {
    test(`[${section}] ${option} = ${JSON.stringify(value)}`, () => {
      const file = write(`${INFLUX}[${section}]\n${option} = ${value}\n`);
      const err = throwsConfigError(() => loadConfig([file]), [`${file}: [${section}] ${option} = ${JSON.stringify(value)}`, reason]);
      assert.deepEqual([err.file, err.section, err.option, err.value], [file, section, option, value]);
    });
  }

  test('the message has the expected shape', () => {
    const file = write('[influxdb]\nip_address = h\nport = abc\n');
    throwsConfigError(() => loadConfig([file]), []);
    assert.throws(() => loadConfig([file]), { message: `${file}: [influxdb] port = "abc": not a port number (1-65535)` });
  });

  test('a value reached through a reference shows its expansion', () => {
    const file = write(INFLUX + '[kafka_metrics]\ntopic = 12x\nbatch_size = $kafka_metrics.topic\n');
    throwsConfigError(() => loadConfig([file]), [`[kafka_metrics] batch_size = "$kafka_metrics.topic" (expands to "12x"): not an integer`]);
  });

  test('host:port lists are normalized; a drivers short name works', () => {
    const c = load('[kafka_metrics]\nuri = kafka-1.example:09092, [::1]:9093\n[repositories]\nmetrics_driver = InfluxDB\n');
    assert.deepEqual(c.metrics.uri, ['kafka-1.example:9092', '[::1]:9093']);
    assert.equal(c.repositories.metricsDriver, 'influxdb');
  });

  test('a Cassandra driver of a disabled pipeline is not in use, hence accepted', () => {
    const c = load('[repositories]\nmetrics_driver = cassandra\n[kafka_metrics]\nenabled = false\n');
    assert.equal(c.repositories.metricsDriver, 'cassandra');
  });
});

describe('required and unsupported', () => {
  test('ip_address is required when an InfluxDB driver is in use', () => {
    const a = write('[kafka_metrics]\ntopic = x\n');
    const b = write('[DEFAULT]\ndebug = true\n');
    const err = throwsConfigError(() => loadConfig([a, b]), [`${b}: [influxdb] ip_address is required`]);
    assert.deepEqual([err.file, err.section, err.option], [b, 'influxdb', 'ip_address']);
    throwsConfigError(() => loadConfig([]), ['(no file): [influxdb] ip_address is required']);
    const empty = write('[influxdb]\nip_address =\n');
    throwsConfigError(() => loadConfig([a, empty]), [`${empty}: [influxdb] ip_address is required`]);
  });

  test('with no pipeline enabled ip_address is not required and a warning says so', () => {
    const file = write('[kafka_metrics]\nenabled = false\n[kafka_alarm_history]\nenabled = false\n');
    const c = loadConfig([file]);
    assert.equal(c.influxdb.ipAddress, '');
    assert.deepEqual(c.warnings, [
      'No pipeline is enabled ([kafka_metrics], [kafka_alarm_history], [kafka_events] all have enabled = false): the persister has nothing to do.',
    ]);
  });

  test('enabling events is refused until the events pipeline exists', () => {
    const file = write(INFLUX + '[kafka_events]\nenabled = True\n');
    throwsConfigError(() => loadConfig([file]), [file, '[kafka_events] enabled = "True"', 'events pipeline (Elasticsearch) is not supported yet']);
  });

  test('[dead_letter]: brokers of its own or none; its topic never one that is read', () => {
    const own = loadConfig([write(INFLUX + '[dead_letter]\nenabled = true\nuri = k1:9092, k2:9093\n')]);
    assert.deepEqual(own.deadLetter, { enabled: true, topic: 'monasca-persister-dead-letters', uri: ['k1:9092', 'k2:9093'] });
    const file = write(INFLUX + '[dead_letter]\nenabled = true\ntopic = metrics\n');
    throwsConfigError(() => loadConfig([file]), [file, '[dead_letter] topic = "metrics"', 'is the topic [kafka_metrics] reads']);
    // disabled, the same name harms nothing
    assert.equal(loadConfig([write(INFLUX + '[dead_letter]\ntopic = metrics\n')]).deadLetter.enabled, false);
  });
});

describe('Kafka security', () => {
  const CA = write('-----BEGIN CERTIFICATE-----\n', 'ca.pem');

  test('set in [kafka], inherited by every topic section; names of any case', () => {
    const c = load(
      `[kafka]\nsecurity_protocol = sasl_ssl\nssl_cafile = ${CA}\nsasl_mechanism = scram-sha-512\nsasl_plain_username = persister\nsasl_plain_password = pw\n[kafka_alarm_history]\nssl_check_hostname = false\n`,
    );
    for (const t of [c.metrics, c.alarmHistory]) {
      assert.equal(t.securityProtocol, 'SASL_SSL');
      assert.equal(t.sslCafile, CA);
      assert.equal(t.saslMechanism, 'SCRAM-SHA-512');
      assert.equal(t.saslPlainUsername, 'persister');
      assert.equal(t.saslPlainPassword, 'pw');
    }
    assert.equal(c.metrics.sslCheckHostname, true);
    assert.equal(c.alarmHistory.sslCheckHostname, false);
    assert.equal(c.metrics.sslCertfile, undefined, 'unset in [kafka] and in the topic: unset, not empty');
    const dump = JSON.stringify(redactedConfig(c));
    assert.ok(dump.includes('"saslPlainPassword":"***"') && !dump.includes('"pw"'));
  });

  test('an unknown protocol or mechanism, an unreadable file, SASL without credentials, a certificate without its key: one message each', () => {
    throwsConfigError(() => load('[kafka]\nsecurity_protocol = TLS\n'), ['[kafka] security_protocol = "TLS": not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL']);
    throwsConfigError(() => load('[kafka_metrics]\nsasl_mechanism = GSSAPI\n'), ['[kafka_metrics] sasl_mechanism = "GSSAPI": not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512']);
    throwsConfigError(() => load('[kafka]\nssl_cafile = /nonexistent/ca.pem\n'), ['[kafka] ssl_cafile = "/nonexistent/ca.pem": cannot read the file (ENOENT)']);
    throwsConfigError(() => load('[kafka]\nsecurity_protocol = SASL_PLAINTEXT\nsasl_plain_username = u\n'), ['sasl_plain_password', 'is required with security_protocol = SASL_PLAINTEXT']);
    throwsConfigError(() => load(`[kafka]\nsecurity_protocol = SSL\nssl_certfile = ${CA}\n`), ['ssl_keyfile', 'ssl_certfile and ssl_keyfile are set together']);
  });

  test('an empty file option is unset, in [kafka] or in a topic section; a directory is refused', () => {
    const c = load('[kafka]\nssl_cafile =\n[kafka_metrics]\nssl_certfile = $kafka.ssl_certfile\n');
    assert.equal(c.metrics.sslCafile, undefined);
    assert.equal(c.metrics.sslCertfile, undefined);
    assert.ok(!formatIni(loadEffectiveConfig([write(`${INFLUX}[kafka]\nssl_cafile =\n`)]).options, []).includes('ssl_cafile'));
    throwsConfigError(() => load(`[kafka]\nssl_cafile = ${tmpdir()}\n`), ['[kafka] ssl_cafile', 'not a file (a directory? name the PEM file itself)']);
  });

  test('[influxdb] ssl_ca_file: a readable file', () => {
    assert.equal(load(`[influxdb]\nssl = true\nverify_ssl = true\nssl_ca_file = ${CA}\n`).influxdb.sslCaFile, CA);
    throwsConfigError(() => load('[influxdb]\nssl_ca_file = /nonexistent/ca.pem\n'), ['[influxdb] ssl_ca_file = "/nonexistent/ca.pem": cannot read the file (ENOENT)']);
  });
});

describe('secrets', () => {
  const SECRET = 's3cr3t-pw';
  test('the password is kept in the config but redacted in dumps', () => {
    const c = load(`[influxdb]\npassword = ${SECRET}\n`);
    assert.equal(c.influxdb.password, SECRET);
    const dump = redactedConfig(c) as PersisterConfig;
    assert.equal(dump.influxdb.password, '***');
    assert.ok(!JSON.stringify(dump).includes(SECRET));
    assert.equal(c.influxdb.password, SECRET, 'redactedConfig must not modify its argument');
    assert.equal((redactedConfig(load('')) as PersisterConfig).influxdb.password, undefined);
  });

  test('never in an error message nor in warnings', () => {
    const file = write(`${INFLUX}[influxdb]\npassword = ${SECRET}\nport = abc\n[kafka]\nsecret_thing = ${SECRET}\n`);
    const err = throwsConfigError(() => loadConfig([file]), ['port']);
    assert.ok(!err.message.includes(SECRET));
    // through a reference
    const ref = write(`${INFLUX}[influxdb]\npassword = ${SECRET}\nport = $influxdb.password\n`);
    const e2 = throwsConfigError(() => loadConfig([ref]), ['[influxdb] port = "$influxdb.password" (expands to "***")']);
    assert.ok(!e2.message.includes(SECRET));
    // a bad reference inside the password
    const bad = write(`${INFLUX}[influxdb]\npassword = pa$qzx9\n`);
    const e3 = throwsConfigError(() => loadConfig([bad]), ['[influxdb] password = "***"', 'unknown $ reference']);
    assert.ok(!e3.message.includes('qzx9'));
    assert.equal(e3.value, '***');
    // warnings (of a file that loads)
    const ok = write(`${INFLUX}[influxdb]\npassword = ${SECRET}\n[kafka]\nsecret_thing = ${SECRET}\n`);
    assert.ok(!loadConfig([ok]).warnings.join('\n').includes(SECRET));
  });
});

describe('command line', () => {
  test('parseArgs', () => {
    assert.deepEqual(parseArgs(['--config-file', 'a.conf', '--config-file=b.conf', '--config-dir', 'd', '--config-dir=e']), {
      configFiles: ['a.conf', 'b.conf'],
      configDirs: ['d', 'e'],
      help: false,
      version: false,
      rest: [],
    });
    assert.equal(parseArgs(['-h']).help, true);
    assert.equal(parseArgs(['--help']).help, true);
    assert.equal(parseArgs(['--version']).version, true);
    assert.deepEqual(parseArgs(['x', '--', '--config-file', 'y']).rest, ['x', '--config-file', 'y']);
    assert.deepEqual(parseArgs(['--config-file=-odd.conf']).configFiles, ['-odd.conf']);
  });

  test('usage errors exit with 64', () => {
    for (const argv of [['--nope'], ['-x'], ['--config-file'], ['--config-file', '--version'], ['--config-dir='], ['--debug']]) {
      const err = throwsConfigError(() => parseArgs(argv), [], 64);
      assert.ok(err instanceof UsageError, String(argv));
    }
    assert.ok(throwsConfigError(() => parseArgs(['--nope']), ['--nope'], 64).message.includes('Usage:'));
  });

  test('options anywhere, positionals in order, everything after -- is positional', () => {
    assert.deepEqual(parseArgs(['config', '--config-file', 'a.conf', 'x', '--config-dir=d=e', '--', '-h', '--version']), {
      configFiles: ['a.conf'],
      configDirs: ['d=e'],
      help: false,
      version: false,
      rest: ['config', 'x', '-h', '--version'],
    });
    assert.deepEqual(parseArgs(['-']).rest, ['-']);
    assert.deepEqual(parseArgs(['-h', '--help', '--version']), { configFiles: [], configDirs: [], help: true, version: true, rest: [] });
    assert.deepEqual(parseArgs([]), { configFiles: [], configDirs: [], help: false, version: false, rest: [] });
  });

  test('the message of each usage error', () => {
    const cases: [argv: string[], message: string][] = [
      [['--bogus'], 'unknown option --bogus'],
      [['--bogus=3'], 'unknown option --bogus'],
      [['-x'], 'unknown option -x'],
      [['-hx'], 'unknown option -x'],
      [['-1'], 'unknown option -1'],
      [['--config-file', 'a.conf', '--debug'], 'unknown option --debug'],
      [['--config-file'], '--config-file needs a file name'],
      [['--config-dir'], '--config-dir needs a directory name'],
      [['--config-file', '--version'], '--config-file needs a file name'],
      [['--config-file', '-x'], '--config-file needs a file name'],
      [['--config-file', '-'], '--config-file needs a file name'],
      [['--config-file', ''], '--config-file needs a file name'],
      [['--config-file='], '--config-file needs a file name'],
      [['--config-dir='], '--config-dir needs a directory name'],
      [['--help=yes'], '--help takes no value'],
      [['--version='], '--version takes no value'],
      // the first problem wins
      [['--config-dir', '--nope', '--bogus'], '--config-dir needs a directory name'],
      [['--bogus', '--config-dir'], 'unknown option --bogus'],
    ];
    for (const [argv, message] of cases) {
      const err = throwsConfigError(() => parseArgs(argv), [], 64);
      assert.ok(err instanceof UsageError, String(argv));
      assert.equal(err.message.split('\n')[0], message, JSON.stringify(argv));
      assert.ok(err.message.endsWith(USAGE), JSON.stringify(argv));
    }
  });
});

describe('which files', () => {
  const HOME = '/home/op';
  const SEARCH = [
    '/home/op/.monasca/monasca-persister.conf',
    '/home/op/monasca-persister.conf',
    '/etc/monasca/monasca-persister.conf',
    '/etc/monasca-persister.conf',
  ];
  const OLD = SEARCH.map((p) => p.replace('monasca-persister.conf', 'persister.conf'));
  const none = { configFiles: [], configDirs: [] };
  const env = (existing: string[], dirs: Record<string, string[]> = {}) => ({
    home: HOME,
    exists: (p: string) => existing.includes(p) || p in dirs,
    readdir: (d: string) => dirs[d] ?? [],
  });

  test('the default search list, in order', () => {
    for (let i = 0; i < SEARCH.length; i++) {
      const r = resolveConfigFiles(none, env([...SEARCH.slice(i), ...OLD]));
      assert.deepEqual(r, { files: [SEARCH[i]], warnings: [] });
    }
  });

  test('then the deprecated persister.conf names, with a warning', () => {
    for (let i = 0; i < OLD.length; i++) {
      const r = resolveConfigFiles(none, env(OLD.slice(i)));
      assert.deepEqual(r, {
        files: [OLD[i]],
        warnings: [`Found deprecated old location "${OLD[i]}" of main configuration file; move it to /etc/monasca/monasca-persister.conf.`],
      });
    }
  });

  test('nothing found: no files and a warning', () => {
    const r = resolveConfigFiles(none, env([]));
    assert.deepEqual(r.files, []);
    assert.deepEqual(r.warnings, [`No configuration file found (looked for ${SEARCH.join(', ')}); using the defaults.`]);
  });

  test('--config-file replaces the default file; a missing one is a ConfigError', () => {
    const r = resolveConfigFiles({ configFiles: ['/x/a.conf', '/x/b.conf'], configDirs: [] }, env(['/x/a.conf', '/x/b.conf', SEARCH[2]]));
    assert.deepEqual(r, { files: ['/x/a.conf', '/x/b.conf'], warnings: [] });
    throwsConfigError(() => resolveConfigFiles({ configFiles: ['/x/none.conf'], configDirs: [] }, env([])), ['/x/none.conf', 'not found']);
    throwsConfigError(() => resolveConfigFiles({ configFiles: [], configDirs: ['/x/nodir'] }, env([])), ['/x/nodir', 'not found']);
  });

  test('relative names and ~ are made absolute', () => {
    const r = resolveConfigFiles({ configFiles: ['rel.conf', '~/t.conf'], configDirs: [] }, { ...env(['/work/rel.conf', '/home/op/t.conf']), cwd: '/work' });
    assert.deepEqual(r.files, ['/work/rel.conf', '/home/op/t.conf']);
  });

  test('--config-dir: its *.conf, sorted, after the files', () => {
    const r = resolveConfigFiles(
      { configFiles: ['/x/main.conf'], configDirs: ['/d1', '/d2'] },
      env(['/x/main.conf'], { '/d1': ['z.conf', 'a.conf', 'notes.txt', '.hidden.conf', 'm.conf.bak'], '/d2': ['b.conf'] }),
    );
    assert.deepEqual(r.files, ['/x/main.conf', '/d1/a.conf', '/d1/z.conf', '/d2/b.conf']);
  });

  test('the default monasca-persister.conf.d is read when no --config-dir is given (as oslo.config)', () => {
    const dirs = { '/etc/monasca/monasca-persister.conf.d': ['20.conf', '10.conf'] };
    let r = resolveConfigFiles(none, env([SEARCH[2]], dirs));
    assert.deepEqual(r.files, [SEARCH[2], '/etc/monasca/monasca-persister.conf.d/10.conf', '/etc/monasca/monasca-persister.conf.d/20.conf']);
    r = resolveConfigFiles({ configFiles: [], configDirs: ['/d'] }, env([SEARCH[2]], { ...dirs, '/d': ['x.conf'] }));
    assert.deepEqual(r.files, [SEARCH[2], '/d/x.conf']);
  });

  test('on disk: --config-dir files override the --config-file', () => {
    const main = write(INFLUX + '[kafka_metrics]\nbatch_size = 1\ntopic = main\n', 'main.conf');
    const dir = join(TMP, 'confd');
    mkdirSync(dir);
    writeFileSync(join(dir, '20-late.conf'), '[kafka_metrics]\nbatch_size = 3\n');
    writeFileSync(join(dir, '10-early.conf'), '[kafka_metrics]\nbatch_size = 2\ntopic = early\n');
    writeFileSync(join(dir, 'ignored.txt'), '[kafka_metrics]\nbatch_size = 4\n');
    const { configFiles, configDirs } = parseArgs(['--config-dir', dir, '--config-file', main]);
    const { files } = resolveConfigFiles({ configFiles, configDirs });
    assert.deepEqual(files, [main, join(dir, '10-early.conf'), join(dir, '20-late.conf')]);
    const c = loadConfig(files);
    assert.equal(c.metrics.batchSize, 3);
    assert.equal(c.metrics.topic, 'early');
  });
});

describe('the effective configuration as INI', () => {
  /** Prints the configuration of the files, then loads what was printed. */
  function roundTrip(files: string[]): { text: string; before: PersisterConfig; after: PersisterConfig } {
    const { config: before, options } = loadEffectiveConfig(files);
    const text = formatIni(options, files);
    const after = loadConfig([write(text, 'printed.conf')]);
    return { text, before, after };
  }
  /** The configuration without what differs by design: the files read, the warnings, the password. */
  const comparable = (c: PersisterConfig): unknown => ({ ...c, files: [], warnings: [], influxdb: { ...c.influxdb, password: undefined } });

  test('what is printed loads back into the same configuration, the password aside', () => {
    const tricky = write(
      '[kafka]\nnum_processors = 3\nclient_id = common\n' +
        '[kafka_metrics]\nuri = kafka-1.example:09092, [::1]:9093\ngroup_id = first\n  second=2\n' +
        'consumer_id = " padded "\nclient_id = a;b "c" \\d\n' +
        '[kafka_alarm_history]\ntopic = [bracket\ngroup_id = \'quoted\'\ndatabase_batch_size = 5\n' +
        '[influxdb]\npassword = pa$$word#1\ndatabase_name = x=y\n[supervisor]\nwrite_retry_initial_seconds = 0.25\n',
    );
    for (const files of [[write(INFLUX)], [fixture('kolla.conf')], [fixture('legacy.conf')], [fixture('syntax.conf'), tricky], [join(ROOT, 'etc/monasca-persister.conf')]]) {
      const { text, before, after } = roundTrip(files);
      assert.deepEqual(comparable(after), comparable(before), text);
      assert.deepEqual(after.warnings, [], text);
      assert.equal(after.influxdb.password, before.influxdb.password === undefined ? undefined : '***');
    }
    const { after } = roundTrip([fixture('syntax.conf'), tricky]);
    assert.equal(after.metrics.topic, 'metrics # not a comment: oslo has no inline comments');
    assert.equal(after.metrics.groupId, 'first\nsecond=2');
    assert.equal(after.metrics.consumerId, ' padded ');
    assert.equal(after.metrics.clientId, 'a;b "c" \\d');
    assert.equal(after.alarmHistory.topic, '[bracket');
    assert.equal(after.alarmHistory.groupId, 'quoted');
    assert.equal(after.alarmHistory.batchSize, 5);
    assert.equal(after.influxdb.user, 'a$b$c');
    assert.equal(after.influxdb.databaseName, 'x=y');
  });

  test('sections and options under their names in the files; unset and unused options left out', () => {
    const file = write(`${INFLUX}[influxdb]\npassword = s3cret\n[kafka]\nnum_processors = 2\n[zookeeper]\nuri = zk:2181\n[repositories]\nignore_parse_point_error = true\n`);
    const { options } = loadEffectiveConfig([file]);
    const text = formatIni(options, [file]);
    assert.ok(text.startsWith('# The effective configuration'));
    assert.ok(text.includes(`#   ${file}\n`));
    assert.ok(!text.includes('s3cret'));
    const sections = [...text.matchAll(/^\[(.+)\]$/gm)].map((m) => m[1]);
    assert.deepEqual(sections, ['DEFAULT', 'kafka', 'kafka_metrics', 'kafka_alarm_history', 'kafka_events', 'influxdb', 'repositories', 'supervisor', 'monitoring', 'dead_letter']);
    // Our own reader (oslo.config's rules) reads it as written.
    const parsed = Object.fromEntries(
      [...parseIni(text, 'printed')].map(([section, options]) => [section, Object.fromEntries([...options].map(([o, v]) => [o, v.value]))]),
    ) as Record<string, Record<string, unknown>>;
    assert.equal(parsed.kafka.num_processors, '2');
    assert.equal(parsed.kafka_events.num_processors, '2');
    assert.equal(parsed.kafka_metrics.max_wait_time_seconds, '30');
    assert.equal(parsed.influxdb.password, '***');
    assert.equal(parsed.influxdb.ip_address, '10.0.0.1');
    assert.equal(parsed.supervisor.write_retry_initial_seconds, '0.5');
    assert.equal(parsed.repositories.metrics_driver, 'influxdb');
    assert.equal(parsed.DEFAULT.debug, 'false');
    assert.ok(!('log_file' in parsed.DEFAULT) && !('ignore_parse_point_error' in parsed.repositories) && !('zookeeper' in parsed));
    assert.ok(!Object.keys(parsed).some((s) => Object.keys(parsed[s]).some((o) => /[A-Z]/.test(o))), 'snake_case names');
  });

  test('a value built from the password through a reference is hidden too', () => {
    const file = write(`${INFLUX}[influxdb]\npassword = s3cret\nuser = u-$password\n`);
    const { config, options } = loadEffectiveConfig([file]);
    assert.equal(config.influxdb.user, 'u-s3cret');
    const text = formatIni(options, [file]);
    assert.ok(text.includes('\nuser = ***\n'));
    assert.ok(!text.includes('s3cret'));
  });

  test('no file: the defaults', () => {
    const text = formatIni(loadEffectiveConfig([write('[kafka_metrics]\nenabled = false\n[kafka_alarm_history]\nenabled = false\n')]).options, []);
    assert.ok(text.includes('#   no file (the defaults)\n'));
    assert.ok(!/^ip_address/m.test(text), 'an option without value is left out');
  });

  test('a value no INI line can hold is a ConfigError naming it', () => {
    // A continuation line that is only a reference to a value with a leading space: " y".
    const file = write(`${INFLUX}[kafka_metrics]\nclient_id = " y"\ntopic = x\n  $kafka_metrics.client_id\n`);
    const { config, options } = loadEffectiveConfig([file]);
    assert.equal(config.metrics.topic, 'x\n y');
    throwsConfigError(() => formatIni(options, [file]), ['[kafka_metrics] topic', 'cannot be written']);
  });
});

describe('every problem at once', () => {
  test('each bad value, bad reference and missing requirement of a file is reported, each naming file, section, option and value', () => {
    const file = write(`[influxdb]
port = eighty
batch_size = -3
database_name = $nowhere
[kafka_metrics]
security_protocol = SASL_PLAINTEXT
[supervisor]
max_restarts = many
`);
    let err: unknown;
    try {
      loadConfig([file]);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigProblems, String(err));
    const lines = err.message.split('\n');
    assert.equal(lines.length, err.problems.length);
    for (const [pattern, section, option] of [
      [/\[influxdb\] port = "eighty": /, 'influxdb', 'port'],
      [/\[influxdb\] batch_size = "-3": /, 'influxdb', 'batch_size'],
      [/\[influxdb\] database_name = "\$nowhere": an unknown reference/, 'influxdb', 'database_name'],
      [/\[kafka_metrics\] sasl_plain_username .*: is required with security_protocol = SASL_PLAINTEXT/, 'kafka_metrics', 'sasl_plain_username'],
      [/\[supervisor\] max_restarts = "many": /, 'supervisor', 'max_restarts'],
      [/\[influxdb\] ip_address is required/, 'influxdb', 'ip_address'],
    ] as const) {
      const p: ConfigError | undefined = err.problems.find((x) => pattern.test(x.message));
      assert.ok(p, `${pattern} in:\n${err.message}`);
      assert.equal(p.section, section);
      assert.equal(p.option, option);
      assert.ok(p.message.startsWith(`${file}: `), p.message);
    }
    assert.equal(err.exitCode, 78);
  });

  test('one problem is a ConfigError of its own, as before', () => {
    assert.throws(() => load('[supervisor]\nmax_restarts = many\n'), (e: unknown) => e instanceof ConfigError && !(e instanceof ConfigProblems) && /max_restarts = "many"/.test(e.message));
  });
});
