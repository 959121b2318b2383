/**
 * Every kafkajs client of the project is made here: with the codecs of compressed batches and the
 * request-queue fix installed, the configured security, and kafkajs's log in ours (or silenced:
 * the tools say themselves what went wrong).
 */
import { Kafka, type KafkaConfig, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { installCodecs } from './codecs.js';
import { installRequestQueueFix } from './request-queue.js';
import type { KafkaClientSecurity } from './security.js';

export interface KafkaClientOptions {
  brokers: string[];
  /** TLS and SASL (security.ts); none: PLAINTEXT. */
  security?: KafkaClientSecurity;
  clientId: string;
  /** Where kafkajs's warnings go; none: not logged. */
  log?: Logger;
  /** kafkajs's own retries, connection and request timeouts, when its defaults do not suit. */
  tuning?: Pick<KafkaConfig, 'retry' | 'connectionTimeout' | 'requestTimeout'>;
}

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'warn', // kafkajs reports every retried connection error as an error
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

function logCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry;
      log[PINO_LEVEL[level] ?? 'info']({ component: 'kafkajs', ...rest }, message);
    };
}

export function kafkaClient(options: KafkaClientOptions): Kafka {
  installCodecs();
  installRequestQueueFix();
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...options.security,
    ...(options.log ? { logLevel: logLevel.WARN, logCreator: logCreator(options.log) } : { logLevel: logLevel.NOTHING }),
    ...options.tuning,
  });
}
