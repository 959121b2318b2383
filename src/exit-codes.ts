/** Exit statuses: part of the interface (README, etc/monasca-persister.service). sysexits.h numbers. */
export const ExitCode = {
  /** Stopped by SIGTERM/SIGINT after flushing and committing. */
  OK: 0,
  /** Bad command line. */
  USAGE: 64,
  /** Kafka could not be reached or the Kafka client gave up. */
  KAFKA_UNAVAILABLE: 69,
  /** The same status, from the tools (check, migrate-db-per-tenant): a service (Kafka or InfluxDB) could not be reached. */
  UNAVAILABLE: 69,
  /** replay: some dead letters are still dropped or refused (they are listed). */
  DATA: 65,
  /** An internal error. */
  SOFTWARE: 70,
  /** InfluxDB writes kept failing; nothing unstored was committed. */
  INFLUX_FAILED: 75,
  /** A second SIGTERM/SIGINT during a graceful stop: exited at once (128 + SIGINT). */
  INTERRUPTED: 130,
  /** Bad configuration (file, section, option and value are named), or InfluxDB refused the credentials. */
  CONFIG: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
