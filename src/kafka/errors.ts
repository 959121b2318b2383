/** Classifies what the Kafka client throws or reports (src/ports/faults.ts), once, here. */
import { Fault, FaultError } from '../ports/faults.js';
import { causes, certificateProblem } from '../tls.js';
import { UndecodableBatch } from './codecs.js';

/** Kafka protocol errors that say this client may not do what the configuration asks. */
const REFUSED_TYPES: ReadonlySet<string> = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
]);

/**
 * A Kafka client error as a FaultError: a refusal of this client is a configuration fault, anything
 * else Kafka lost (a batch no codec can decode too: it is named, and the process stops rather than
 * skip it). `partitions`: those assigned, named with an undecodable batch (kafkajs fails the whole
 * fetch, without saying which partition's batch it was).
 */
export function classifyKafkaError(error: unknown, topic: string, partitions: readonly number[] = []): FaultError {
  if (error instanceof FaultError) return error;
  for (const e of causes(error)) {
    if (e instanceof UndecodableBatch) {
      const where = partitions.length === 1 ? `partition ${partitions[0]}` : `one of partitions ${partitions.join(', ')}`;
      return new FaultError(Fault.KAFKA_LOST, `topic ${topic}, ${where}: ${e.message}; stopped rather than skip it`, { cause: error });
    }
  }
  const text = error instanceof Error ? error.message : String(error);
  const certificate = certificateProblem(error);
  if (certificate) {
    return new FaultError(Fault.CONFIGURATION, `Kafka broker's TLS certificate failed verification (${certificate}): check [kafka] uri and the trusted CA`, { cause: error });
  }
  for (const e of causes(error)) {
    if (e.name === 'KafkaJSSASLAuthenticationError' || (typeof e.type === 'string' && REFUSED_TYPES.has(e.type))) {
      return new FaultError(Fault.CONFIGURATION, `Kafka refused this client for topic ${topic} (${String(e.message)}): check the credentials and permissions of its consumer group`, { cause: error });
    }
  }
  return new FaultError(Fault.KAFKA_LOST, `Kafka client for topic ${topic} gave up: ${text}`, { cause: error });
}
