/** Classifies what the Kafka client throws or reports (src/ports/faults.ts), once, here. */
import { Fault, FaultError } from '../ports/faults.js';
import { causes, certificateProblem, notTls } from '../tls.js';
import { UndecodableBatch } from './codecs.js';

/** Kafka protocol errors that say this client may not do what the configuration asks. */
const NOT_AUTHORIZED: ReadonlySet<string> = new Set(['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED']);
const SASL_REFUSED: ReadonlySet<string> = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE']);

/**
 * A Kafka client error as a FaultError: a refusal of this client (credentials, permissions, a
 * broker certificate it cannot trust, TLS against a plain listener) is a configuration fault,
 * anything else Kafka lost (a batch no codec can decode too: it is named, and the process stops
 * rather than skip it). `partitions`: those assigned, named with an undecodable batch (kafkajs fails
 * the whole fetch, without saying which partition's batch it was).
 */
export function classifyKafkaError(error: unknown, topic: string, partitions: readonly number[] = []): FaultError {
  if (error instanceof FaultError) return error;
  const refused = (what: string, fix: string) => new FaultError(Fault.CONFIGURATION, `Kafka, topic ${topic}: ${what}: ${fix}`, { cause: error });
  const certificate = certificateProblem(error);
  if (certificate) return refused(`a broker's TLS certificate failed verification (${certificate})`, 'check ssl_cafile (the CA that signed the brokers\' certificates) and ssl_check_hostname in [kafka]');
  if (notTls(error)) return refused('a broker does not answer TLS', 'check security_protocol and uri in [kafka]');
  for (const e of causes(error)) {
    if (e instanceof UndecodableBatch) {
      const where = partitions.length === 1 ? `partition ${partitions[0]}` : `one of partitions ${partitions.join(', ')}`;
      return new FaultError(Fault.KAFKA_LOST, `topic ${topic}, ${where}: ${e.message}; stopped rather than skip it`, { cause: error });
    }
    const type = typeof e.type === 'string' ? e.type : '';
    if (e.name === 'KafkaJSSASLAuthenticationError' || SASL_REFUSED.has(type)) {
      return refused(`SASL authentication refused (${String(e.message)})`, 'check sasl_mechanism, sasl_plain_username and sasl_plain_password in [kafka]');
    }
    if (NOT_AUTHORIZED.has(type)) return refused(`not authorized (${type})`, `grant this user read on the topic and its consumer group`);
  }
  return new FaultError(Fault.KAFKA_LOST, `Kafka client for topic ${topic} gave up: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
