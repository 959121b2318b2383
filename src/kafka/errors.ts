/** Classifies what the Kafka client throws or reports (src/ports/faults.ts), once, here. */
import { Fault, FaultError } from '../ports/faults.js';
import { causes, certificateProblem } from '../tls.js';
import { UndecodableBatch } from './codecs.js';

/** Kafka protocol errors that say this client may not do what the configuration asks. */
const NOT_AUTHORIZED: ReadonlySet<string> = new Set(['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED']);
const SASL_REFUSED: ReadonlySet<string> = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM']);
/**
 * kafkajs wraps every failure of a SASL login in KafkaJSSASLAuthenticationError, a broker going away
 * mid-login too: only the broker's own verdict is a configuration fault.
 */
const SASL_NOT_A_VERDICT = /closed connection|connection (was )?closed|timed? ?out|timeout|ECONN|socket|EPIPE/i;

/**
 * A Kafka client error as a FaultError: a refusal of this client (credentials, permissions, a
 * broker certificate it cannot trust) is a configuration fault,
 * anything else Kafka lost (a batch no codec can decode too: it is named, and the process stops
 * rather than skip it). `partitions`: those assigned, named with an undecodable batch (kafkajs fails
 * the whole fetch, without saying which partition's batch it was). `access`: what to grant when
 * the client is not authorized.
 */
export function classifyKafkaError(
  error: unknown,
  topic: string,
  partitions: readonly number[] = [],
  access = 'read on the topic and its consumer group',
): FaultError {
  if (error instanceof FaultError) return error;
  const refused = (what: string, fix: string) => new FaultError(Fault.CONFIGURATION, `Kafka, topic ${topic}: ${what}: ${fix}`, { cause: error });
  const certificate = certificateProblem(error);
  if (certificate) return refused(`a broker's TLS certificate failed verification (${certificate})`, 'check ssl_cafile (the CA that signed the brokers\' certificates) and ssl_check_hostname in [kafka]');
  for (const e of causes(error)) {
    if (e instanceof UndecodableBatch) {
      const where =
        partitions.length === 1 ? `partition ${partitions[0]}` : partitions.length > 1 ? `one of partitions ${partitions.join(', ')}` : 'a partition';
      return new FaultError(Fault.KAFKA_LOST, `topic ${topic}, ${where}: ${e.message}; stopped rather than skip it`, { cause: error });
    }
    const type = typeof e.type === 'string' ? e.type : '';
    if ((e.name === 'KafkaJSSASLAuthenticationError' && !SASL_NOT_A_VERDICT.test(String(e.message))) || SASL_REFUSED.has(type)) {
      return refused(`SASL authentication refused (${String(e.message)})`, 'check sasl_mechanism, sasl_plain_username and sasl_plain_password in [kafka]');
    }
    if (NOT_AUTHORIZED.has(type)) return refused(`not authorized (${type})`, `grant this user ${access}`);
  }
  return new FaultError(Fault.KAFKA_LOST, `Kafka client for topic ${topic} gave up: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * Whether a crash kafkajs reports is passed on to the pipeline. kafkajs restarts its consumer after
 * most crashes, forever; that is right for a broker that comes back, but not for what never mends:
 * a configuration fault (before the client ever worked) or a batch no codec can decode (refetched
 * and refused again, while the group churns).
 */
export function passCrashOn(error: FaultError, kafkajsRestarts: boolean): boolean {
  if (!kafkajsRestarts || error.fault === Fault.CONFIGURATION) return true;
  for (const e of causes(error)) if (e instanceof UndecodableBatch) return true;
  return false;
}

/**
 * A configuration fault after the client has joined its group once: the same settings worked, so
 * it is taken for a passing state of the cluster (a certificate renewed, ACLs being replaced) and
 * exits 69, which systemd restarts, rather than 78, which it does not.
 */
export function afterWorking(error: FaultError): FaultError {
  if (error.fault !== Fault.CONFIGURATION) return error;
  return new FaultError(Fault.KAFKA_LOST, `${error.message} (these settings worked before: taken as passing)`, { cause: error.cause });
}
