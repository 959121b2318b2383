/** The typed configuration handed to the rest of the program. */

export type TopicSection = 'kafka_metrics' | 'kafka_alarm_history' | 'kafka_events';

export interface TopicConfig {
  section: TopicSection;
  enabled: boolean;
  /** host:port of each broker */
  uri: string[];
  groupId: string;
  topic: string;
  consumerId: string;
  clientId: string;
  /** messages buffered before a write */
  batchSize: number;
  /** the longest a message waits in a partial batch before it is written anyway */
  maxWaitTimeSeconds: number;
  fetchSizeBytes: number;
  bufferSize: number;
  maxBufferSize: number;
  /** consumers of the topic */
  numProcessors: number;
  legacyKafkaClientEnabled: boolean;
  zookeeperPath?: string;
  securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  sslCafile?: string;
  sslCertfile?: string;
  sslKeyfile?: string;
  sslCheckHostname: boolean;
  saslMechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  saslPlainUsername?: string;
  saslPlainPassword?: string;
}

export interface InfluxConfig {
  databaseName: string;
  dbPerTenant: boolean;
  defaultRetentionHours: number;
  /** points per HTTP write request */
  batchSize: number;
  /** '' only when no InfluxDB driver is in use */
  ipAddress: string;
  port: number;
  ssl: boolean;
  verifySsl: boolean;
  sslCaFile?: string;
  gzip: boolean;
  user: string;
  password?: string;
}

export interface RepositoriesConfig {
  /** the backend short name, e.g. 'influxdb' (import paths of the reference are mapped to it) */
  metricsDriver: string;
  alarmStateHistoryDriver: string;
  eventsDriver?: string;
}

/** [supervisor]: durations in seconds, as in the file. */
export interface SupervisorConfig {
  writeAttempts: number;
  writeRetryInitialSeconds: number;
  writeRetryMaxSeconds: number;
  restartInitialDelaySeconds: number;
  restartMaxDelaySeconds: number;
  healthyAfterSeconds: number;
  maxRestarts: number;
  restartPeriodSeconds: number;
  kafkaLossGraceSeconds: number;
  stopTimeoutSeconds: number;
  pipelineThreads: boolean | 'auto';
}

/** [monitoring] */
export interface MonitoringConfig {
  enabled: boolean;
  bindAddress: string;
  /** 0: a free port, picked when the endpoint starts. */
  port: number;
  /** Serve /inspector. */
  inspector: boolean;
}

/** [dead_letter] */
export interface DeadLetterConfig {
  enabled: boolean;
  topic: string;
  /** Unset: the brokers of the topic a message was read from. */
  uri?: string[];
}

export interface PersisterConfig {
  /** files actually read, in order */
  files: string[];
  debug: boolean;
  logFile?: string;
  logDir?: string;
  useStderr?: boolean;
  metrics: TopicConfig;
  alarmHistory: TopicConfig;
  events: TopicConfig;
  influxdb: InfluxConfig;
  repositories: RepositoriesConfig;
  supervisor: SupervisorConfig;
  monitoring: MonitoringConfig;
  deadLetter: DeadLetterConfig;
  /** unknown sections/options, deprecated names, ignored options...: each a full sentence naming file/section/option */
  warnings: string[];
}
