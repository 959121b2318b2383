/** Classifies what the Kafka client throws or reports (src/ports/faults.ts), once, here. */
import { Fault, FaultError } from '../ports/faults.js';
import { causes, certificateProblem } from '../tls.js';

/** Kafka protocol errors that say this client may not do what the configuration asks. */
const REFUSED_TYPES: ReadonlySet<string> = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
]);

/** A Kafka client error as a FaultError: a refusal of this client is a configuration fault, anything else Kafka lost. */
export function classifyKafkaError(error: unknown, topic: string): FaultError {
  if (error instanceof FaultError) return error;
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
