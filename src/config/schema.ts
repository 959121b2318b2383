/**
 * Every section and option the persister knows: one frozen table.
 *
 * Options and defaults are those of the Python monasca-persister 9.0.0
 * (monasca_persister/conf/*.py). Defaults are written exactly as they would be
 * in a file, so they may refer to other options (`$kafka.fetch_size_bytes`):
 * that is how oslo.config makes every `[kafka_*]` topic section inherit `[kafka]`.
 *
 * A new section is one entry in SCHEMA.
 */

export type OptionType =
  | 'string'
  | 'host' // IP address or host name
  | 'bool' // true/false/yes/no/on/off/1/0, any case; with `auto`, also the word auto
  | 'int' // with optional min/max
  | 'port' // 1-65535
  | 'float' // with optional min/max
  | 'list' // comma separated strings
  | 'hostports' // comma separated host:port
  | 'driver' // a repository driver: a short name or the reference's Python import path
  | 'choice' // one of `choices`, any case (returned as written there)
  | 'file'; // a path to a file that must be readable

export interface OptionSpec {
  readonly name: string;
  readonly type: OptionType;
  /** As written in a file; may contain `$group.option` references. No default: unset. */
  readonly default?: string;
  /** One line, with units. */
  readonly help: string;
  /** Never logged nor shown in messages. */
  readonly secret?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Old names still read (with a deprecation warning); the current name wins within one file. */
  readonly deprecatedNames?: readonly string[];
  /** type 'bool': the word `auto` is accepted too, and returned as 'auto'. */
  readonly auto?: true;
  /** type 'choice': the accepted values. */
  readonly choices?: readonly string[];
  /** type 'driver': backend short name -> the reference's import path for this option. */
  readonly drivers?: Readonly<Record<string, string>>;
  /**
   * Accepted for compatibility with reference files but not used, hence never
   * validated (oslo.config only checks the options a program reads).
   * A string is a notice added to the warnings when the option is set.
   */
  readonly unused?: true | string;
}

export interface SectionSpec {
  readonly name: string;
  readonly help: string;
  readonly options: readonly OptionSpec[];
}

/** Backends this persister can write to. */
export const SUPPORTED_DRIVERS: readonly string[] = Object.freeze(['influxdb']);

const REPO = 'monasca_persister.repositories';

/** Options of `[kafka]`; every topic section has them too, defaulting to the `[kafka]` value. */
const KAFKA_COMMON: readonly OptionSpec[] = [
  { name: 'consumer_id', type: 'string', default: 'monasca-persister', help: 'Name of the Kafka consumer (kept for compatibility; the Kafka client id is client_id).' },
  { name: 'client_id', type: 'string', default: 'monasca-persister', help: 'Kafka client id sent to the brokers.' },
  { name: 'max_wait_time_seconds', type: 'int', min: 1, default: '30', help: 'Longest time, in seconds, a message waits in a partial batch before the batch is written anyway.' },
  { name: 'fetch_size_bytes', type: 'int', min: 1, default: '4096', help: 'Kafka fetch size, in bytes.' },
  { name: 'buffer_size', type: 'int', min: 1, default: '$kafka.fetch_size_bytes', help: 'Kafka buffer size, in bytes.' },
  { name: 'max_buffer_size', type: 'int', min: 1, default: '32768', help: 'Maximum Kafka buffer size, in bytes (largest fetch per partition).' },
  { name: 'num_processors', type: 'int', min: 1, default: '1', help: 'Number of consumers of the topic, all in the same consumer group.' },
  { name: 'legacy_kafka_client_enabled', type: 'bool', default: 'false', help: 'Use the old kafka-python client in the reference; accepted and ignored here (one Kafka client).' },
  // Security, named as Python Kafka clients name it.
  { name: 'security_protocol', type: 'choice', choices: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], default: 'PLAINTEXT', help: 'How to talk to the brokers: PLAINTEXT, SSL (TLS), SASL_PLAINTEXT (SASL authentication without TLS) or SASL_SSL.' },
  { name: 'ssl_cafile', type: 'file', help: 'With SSL or SASL_SSL: PEM file of the CA(s) to trust for the brokers\' certificates; unset: the system\'s CAs.' },
  { name: 'ssl_certfile', type: 'file', help: 'With SSL or SASL_SSL: PEM file of this client\'s certificate, when the brokers ask for one (with ssl_keyfile).' },
  { name: 'ssl_keyfile', type: 'file', help: 'With SSL or SASL_SSL: PEM file of the private key of ssl_certfile.' },
  { name: 'ssl_check_hostname', type: 'bool', default: 'true', help: 'With SSL or SASL_SSL: check that a broker\'s certificate names the host connected to.' },
  { name: 'sasl_mechanism', type: 'choice', choices: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], default: 'PLAIN', help: 'With SASL_PLAINTEXT or SASL_SSL: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.' },
  { name: 'sasl_plain_username', type: 'string', help: 'With SASL_PLAINTEXT or SASL_SSL: the user name.' },
  { name: 'sasl_plain_password', type: 'string', secret: true, help: 'With SASL_PLAINTEXT or SASL_SSL: the password; never logged.' },
];

function topicSection(name: string, what: string, o: { enabled: boolean; groupId: string; topic: string; batchSize: number }): SectionSpec {
  return {
    name,
    help: `Kafka topic of ${what}. Unset [kafka] options default to the [kafka] value.`,
    options: [
      { name: 'enabled', type: 'bool', default: String(o.enabled), help: `Persist ${what}.` },
      { name: 'uri', type: 'hostports', default: '127.0.0.1:9092', help: 'Comma separated list of Kafka brokers, host:port.' },
      { name: 'group_id', type: 'string', default: o.groupId, help: 'Kafka consumer group.' },
      { name: 'topic', type: 'string', default: o.topic, help: 'Kafka topic to read.' },
      { name: 'zookeeper_path', type: 'string', default: `/persister_partitions/$${name}.topic`, help: 'ZooKeeper path of the old partitioning algorithm; unused by the modern Kafka client.' },
      { name: 'batch_size', type: 'int', min: 1, default: String(o.batchSize), deprecatedNames: ['database_batch_size'], help: 'Number of messages buffered before they are written to the database (one batch).' },
      ...KAFKA_COMMON.map((opt) => ({ ...opt, default: `$kafka.${opt.name}` })),
    ],
  };
}

const LOG_CONFIG_APPEND_NOTICE =
  'names a Python logging configuration file, which this persister cannot read; it is ignored (logging is set by debug, log_file, log_dir and use_stderr)';
const OSLO_LOG_NOTICE = 'is an oslo.log option this persister does not implement; it is ignored';
/** oslo.log options that real files may carry; accepted and ignored with a notice. */
const OSLO_LOG_IGNORED = [
  'log_date_format', 'watch_log_file', 'use_syslog', 'use_journal', 'syslog_log_facility', 'use_json',
  'use_eventlog', 'log_rotate_interval', 'log_rotate_interval_type', 'max_logfile_count', 'max_logfile_size_mb',
  'log_rotation_type', 'logging_context_format_string', 'logging_default_format_string',
  'logging_debug_format_suffix', 'logging_exception_prefix', 'logging_user_identity_format', 'default_log_levels',
  'publish_errors', 'instance_format', 'instance_uuid_format', 'rate_limit_interval', 'rate_limit_burst',
  'rate_limit_except_level', 'fatal_deprecations',
];

const IGNORE_PARSE_POINT_ERROR_NOTICE =
  'is accepted and unused: points InfluxDB refuses are always dropped, logged and counted while the rest of the batch is stored, whatever its value';
const unusedHelp = 'Accepted for compatibility; unused.';

const TABLE: SectionSpec[] = [
  {
    name: 'DEFAULT',
    help: 'Logging (the oslo.log options of the reference that apply here).',
    options: [
      { name: 'debug', type: 'bool', default: 'false', help: 'Log at debug level (otherwise info).' },
      { name: 'log_file', type: 'string', help: 'Log to this file (relative to log_dir when that is set); unset: log to standard error.' },
      { name: 'log_dir', type: 'string', help: 'Directory of log_file.' },
      { name: 'use_stderr', type: 'bool', help: 'Also log to standard error when log_file is set (unset: no).' },
      { name: 'log_config_append', type: 'string', unused: LOG_CONFIG_APPEND_NOTICE, help: 'Python logging configuration file of the reference; ignored with a notice.' },
      ...OSLO_LOG_IGNORED.map((name): OptionSpec => ({ name, type: 'string', unused: OSLO_LOG_NOTICE, help: 'oslo.log option; ignored with a notice.' })),
    ],
  },
  { name: 'kafka', help: 'Kafka options common to all topics; each [kafka_*] section inherits the values set here.', options: KAFKA_COMMON },
  topicSection('kafka_metrics', 'metrics', { enabled: true, groupId: '1_metrics', topic: 'metrics', batchSize: 20000 }),
  topicSection('kafka_alarm_history', 'alarm state transitions', { enabled: true, groupId: '1_alarm-state-transitions', topic: 'alarm-state-transitions', batchSize: 1 }),
  topicSection('kafka_events', 'events', { enabled: false, groupId: '1_events', topic: 'monevents', batchSize: 1 }),
  {
    name: 'influxdb',
    help: 'InfluxDB (1.x HTTP API) where metrics and alarm state transitions are written.',
    options: [
      { name: 'database_name', type: 'string', default: 'mon', help: 'Database name (the prefix of each tenant database when db_per_tenant is set).' },
      { name: 'db_per_tenant', type: 'bool', default: 'false', help: 'Write each tenant to its own database, database_name_<tenant id>.' },
      { name: 'default_retention_hours', type: 'int', min: 0, default: '0', help: 'Retention, in hours, of databases the persister creates; 0: infinite.' },
      { name: 'batch_size', type: 'int', min: 1, default: '10000', help: 'Maximum number of points in one HTTP write request.' },
      { name: 'ip_address', type: 'host', help: 'IP address or host name of InfluxDB; required when an InfluxDB driver is in use.' },
      { name: 'port', type: 'port', default: '8086', help: 'InfluxDB HTTP port.' },
      { name: 'ssl', type: 'bool', default: 'false', help: 'Use HTTPS.' },
      { name: 'verify_ssl', type: 'bool', default: 'false', help: 'Verify the server certificate when ssl is set.' },
      { name: 'gzip', type: 'bool', default: 'false', help: 'Send write requests gzip-compressed: less network traffic for more CPU on both ends (worth it over a slow link).' },
      { name: 'ssl_ca_file', type: 'file', help: 'With ssl and verify_ssl: PEM file of the CA(s) to trust for InfluxDB\'s certificate (a private CA); unset: the system\'s CAs.' },
      { name: 'user', type: 'string', default: 'mon_persister', help: 'InfluxDB user.' },
      { name: 'password', type: 'string', secret: true, help: 'InfluxDB password; never logged.' },
    ],
  },
  {
    name: 'repositories',
    help: 'Where each kind of message is stored: a short name (influxdb) or the import path of the reference.',
    options: [
      { name: 'metrics_driver', type: 'driver', default: `${REPO}.influxdb.metrics_repository:MetricInfluxdbRepository`, help: 'Storage of metrics; only influxdb is supported (cassandra is refused at start-up).',
        drivers: { influxdb: `${REPO}.influxdb.metrics_repository:MetricInfluxdbRepository`, cassandra: `${REPO}.cassandra.metrics_repository:MetricCassandraRepository` } },
      { name: 'alarm_state_history_driver', type: 'driver', default: `${REPO}.influxdb.alarm_state_history_repository:AlarmStateHistInfluxdbRepository`, help: 'Storage of alarm state transitions; only influxdb is supported (cassandra is refused at start-up).',
        drivers: { influxdb: `${REPO}.influxdb.alarm_state_history_repository:AlarmStateHistInfluxdbRepository`, cassandra: `${REPO}.cassandra.alarm_state_history_repository:AlarmStateHistCassandraRepository` } },
      { name: 'events_driver', type: 'driver', default: `${REPO}.elasticsearch.events_repository:ElasticSearchEventsRepository`, help: 'Storage of events (Elasticsearch); not supported yet.',
        drivers: { elasticsearch: `${REPO}.elasticsearch.events_repository:ElasticSearchEventsRepository` } },
      { name: 'ignore_parse_point_error', type: 'bool', default: 'false', unused: IGNORE_PARSE_POINT_ERROR_NOTICE,
        help: 'Ignore InfluxDB parse point errors in the reference; accepted and unused here: points InfluxDB refuses are always dropped, logged and counted, and the rest of the batch is stored.' },
    ],
  },
  {
    name: 'supervisor',
    help: 'Supervision (this project; not in the reference): how failed InfluxDB writers are restarted, when the process gives up, how long a stop may take.',
    options: [
      { name: 'write_attempts', type: 'int', min: 1, default: '5', help: 'Attempts of one write (InfluxDB down, timing out or answering 5xx) before the writer fails and is restarted.' },
      { name: 'write_retry_initial_seconds', type: 'float', min: 0, default: '0.5', help: 'Delay before the second attempt of a write, in seconds; it doubles after each attempt, with up to 100% jitter.' },
      { name: 'write_retry_max_seconds', type: 'float', min: 0, default: '10', help: 'Longest delay between two attempts of a write, in seconds.' },
      { name: 'restart_initial_delay_seconds', type: 'float', min: 0, default: '1', help: 'Delay before a failed writer is restarted the first time, in seconds; it doubles after each restart, with up to 100% jitter. Its consumer is paused meanwhile.' },
      { name: 'restart_max_delay_seconds', type: 'float', min: 0, default: '60', help: 'Longest delay before a writer is restarted, in seconds.' },
      { name: 'healthy_after_seconds', type: 'float', min: 0, default: '60', help: 'A restarted writer that has not failed for this long, in seconds, is healthy again: its next restart waits the initial delay.' },
      { name: 'max_restarts', type: 'int', min: 0, default: '10', help: 'Writer restarts allowed within restart_period_seconds, all pipelines together; one more makes the process exit with status 75 (systemd restarts it).' },
      { name: 'restart_period_seconds', type: 'float', min: 1, default: '600', help: 'The window of max_restarts, in seconds.' },
      { name: 'kafka_loss_grace_seconds', type: 'float', min: 1, default: '60', help: 'When no broker of a topic has answered for this long, in seconds, the process flushes what it can and exits with status 69. Keep it above the consumer session timeout (30 s): joining a group can wait that long for a member that died.' },
      { name: 'stop_timeout_seconds', type: 'float', min: 1, default: '60', help: 'The longest a graceful stop (SIGTERM, SIGINT) may take, in seconds; keep it below systemd TimeoutStopSec.' },
      { name: 'pipeline_threads', type: 'bool', auto: true, default: 'auto', help: 'Run each pipeline (each enabled topic times num_processors) on its own worker thread, so that they use several cores: true, false, or auto (when there is more than one pipeline).' },
    ],
  },
  {
    name: 'monitoring',
    help: 'The monitoring endpoint (this project; not in the reference): Prometheus metrics at /metrics, liveness at /healthz, readiness at /readyz, over HTTP without authentication.',
    options: [
      { name: 'enabled', type: 'bool', default: 'true', help: 'Serve the monitoring endpoint.' },
      { name: 'bind_address', type: 'host', default: '127.0.0.1', help: 'Address to listen on: the loopback by default; 0.0.0.0 or :: for every interface (anyone who can reach it can read the metrics).' },
      { name: 'port', type: 'int', min: 0, max: 65535, default: '8091', help: 'TCP port; 0 picks a free one, which is logged. A port already in use is logged and the daemon goes on persisting without the endpoint.' },
      { name: 'inspector', type: 'bool', default: 'false', help: 'Serve the live view of the actors at /inspector: their tree, states and context, each state machine with its active states, and the events between them. For debugging: it shows topics and counts, never passwords.' },
    ],
  },
  {
    name: 'dead_letter',
    help: 'The dead-letter topic (this project; not in the reference): every message the converter drops or InfluxDB refuses is sent there, as it was read, before its offset is committed; monasca-persister replay feeds them back.',
    options: [
      { name: 'enabled', type: 'bool', default: 'false', help: 'Send dropped and refused messages to the dead-letter topic (with headers reason, error, source_topic, source_partition, source_offset, persister_version). While it cannot be written, the pipeline waits as it does for InfluxDB.' },
      { name: 'topic', type: 'string', default: 'monasca-persister-dead-letters', help: 'Kafka topic of the dead letters (created on first use if the brokers allow it); it must differ from the topics read.' },
      { name: 'uri', type: 'hostports', help: 'Comma separated list of Kafka brokers, host:port, of the dead-letter topic; unset: those of the topic the message was read from. Its security settings are those of that topic.' },
    ],
  },
  {
    name: 'zookeeper',
    help: 'ZooKeeper of the old Kafka client. Accepted for compatibility; unused.',
    options: [
      { name: 'uri', type: 'hostports', default: '127.0.0.1:2181', unused: true, help: `Comma separated list of ZooKeeper host:port. ${unusedHelp}` },
      { name: 'partition_interval_recheck_seconds', type: 'int', default: '15', unused: true, help: `Seconds between partition rechecks. ${unusedHelp}` },
    ],
  },
  {
    name: 'cassandra',
    help: 'Cassandra storage of the reference. Accepted for compatibility; unused (the Cassandra drivers are not supported yet).',
    options: [
      { name: 'contact_points', type: 'list', default: '127.0.0.1', unused: true, help: 'Comma separated list of Cassandra node addresses.' },
      { name: 'port', type: 'int', default: '8086', unused: true, help: 'Cassandra port (the reference default is 8086).' },
      { name: 'keyspace', type: 'string', default: 'monasca', unused: true, help: 'Keyspace of the metrics.' },
      { name: 'user', type: 'string', default: '', unused: true, help: 'Cassandra user.' },
      { name: 'password', type: 'string', default: '', unused: true, secret: true, help: 'Cassandra password; never logged.' },
      { name: 'connection_timeout', type: 'int', default: '5', unused: true, help: 'Connection timeout, in seconds.' },
      { name: 'read_timeout', type: 'int', default: '60', unused: true, help: 'Read timeout, in seconds.' },
      { name: 'max_write_retries', type: 'int', default: '1', unused: true, help: 'Retries of a write.' },
      { name: 'max_definition_cache_size', type: 'int', default: '20000000', unused: true, help: 'Metric definitions cached in memory.' },
      { name: 'retention_policy', type: 'int', default: '45', unused: true, help: 'Retention, in days.' },
      { name: 'consistency_level', type: 'string', default: 'ONE', unused: true, help: 'Consistency level.' },
      { name: 'local_data_center', type: 'string', unused: true, help: 'Local data center name.' },
      { name: 'max_batches', type: 'int', default: '250', unused: true, help: 'Maximum batch size.' },
    ],
  },
  {
    name: 'elasticsearch',
    help: 'Elasticsearch storage of events in the reference. Accepted for compatibility; unused (events are not supported yet).',
    options: [
      { name: 'index_name', type: 'string', default: 'events', unused: true, help: 'Prefix of the event indices.' },
      { name: 'hosts', type: 'list', default: 'localhost:9200', unused: true, help: 'Comma separated list of Elasticsearch nodes, host[:port].' },
      { name: 'sniff_on_start', type: 'bool', default: 'false', unused: true, help: 'Get the list of nodes from the cluster at start-up.' },
      { name: 'sniff_on_connection_fail', type: 'bool', default: 'false', unused: true, help: 'Get the list of nodes again when a connection fails.' },
      { name: 'sniffer_timeout', type: 'int', unused: true, help: 'Seconds between automatic sniffs.' },
      { name: 'max_retries', type: 'int', min: 1, default: '3', unused: true, help: 'Retries before a failure is reported.' },
    ],
  },
];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export const SCHEMA: readonly SectionSpec[] = deepFreeze(TABLE);

const BY_NAME = new Map(SCHEMA.map((s) => [s.name, s]));

export function findSection(name: string): SectionSpec | undefined {
  return BY_NAME.get(name);
}

/** The option a key of a file sets: by its name, or by a deprecated name. */
export function findOption(section: string, key: string): { spec: OptionSpec; deprecated: boolean } | undefined {
  const options = BY_NAME.get(section)?.options ?? [];
  const spec = options.find((o) => o.name === key);
  if (spec) return { spec, deprecated: false };
  const old = options.find((o) => o.deprecatedNames?.includes(key));
  return old && { spec: old, deprecated: true };
}
