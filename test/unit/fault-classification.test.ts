/** Faults are classified where they happen: what the Kafka adapter and the TLS helpers make of real client errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import kafkajs from 'kafkajs';
import { UndecodableBatch } from '../../src/kafka/codecs.js';
import { afterWorking, classifyKafkaError, passCrashOn } from '../../src/kafka/errors.js';
import { Fault, FaultError, faultOf } from '../../src/ports/faults.js';
import { certificateProblem, notTls } from '../../src/tls.js';

// kafkajs is CommonJS: its error classes are not named exports.
const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } = kafkajs;

/** An error as Node's TLS layer reports it. */
function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyKafkaError', () => {
  test('a broker out of reach, after the retries of kafkajs: Kafka lost', () => {
    const error = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { retryCount: 5, retryTime: 1000 });
    const fault = classifyKafkaError(error, 'metrics');
    assert.equal(fault.fault, Fault.KAFKA_LOST);
    assert.equal(faultOf(fault), Fault.KAFKA_LOST);
    assert.match(fault.message, /^Kafka client for topic metrics gave up: /);
    assert.equal(fault.cause, error);
  });

  test('SASL credentials refused: a configuration fault', () => {
    // (its type declaration lacks the constructor's message argument)
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const fault = classifyKafkaError(new SaslError('SASL SCRAM SHA512 authentication failed: Authentication failed'), 'metrics');
    assert.equal(fault.fault, Fault.CONFIGURATION);
    assert.equal(
      fault.message,
      'Kafka, topic metrics: SASL authentication refused (SASL SCRAM SHA512 authentication failed: Authentication failed): check sasl_mechanism, sasl_plain_username and sasl_plain_password in [kafka]',
    );
  });

  test('a topic or group the client may not read, even behind the retries of kafkajs: a configuration fault', () => {
    for (const type of ['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED']) {
      const protocol = new KafkaJSProtocolError({ message: 'Not authorized', type, code: 29, retriable: false } as unknown as Error);
      const fault = classifyKafkaError(new KafkaJSNumberOfRetriesExceeded(protocol, { retryCount: 1, retryTime: 1 }), 'metrics');
      assert.equal(fault.fault, Fault.CONFIGURATION, type);
      assert.match(fault.message, new RegExp(`not authorized \\(${type}\\): grant this user read on the topic and its consumer group`));
    }
  });

  test('a broker certificate that fails verification: a configuration fault naming it', () => {
    // kafkajs copies the socket error's code onto its connection error, then wraps that when its retries end.
    const connection = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', { broker: 'localhost:9093', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const fault = classifyKafkaError(new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 5, retryTime: 1000 }), 'metrics');
    assert.equal(fault.fault, Fault.CONFIGURATION);
    assert.match(fault.message, /SELF_SIGNED_CERT_IN_CHAIN: Connection error: self-signed certificate in certificate chain\): check ssl_cafile/);
  });

  test('an error already classified passes as it is', () => {
    const error = new FaultError(Fault.CONFIGURATION, 'x');
    assert.equal(classifyKafkaError(error, 'metrics'), error);
  });
});

describe('TLS errors', () => {
  test('certificate verification codes, found along the causes', () => {
    assert.equal(certificateProblem(nodeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate')), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate');
    assert.equal(certificateProblem({ cause: { cause: nodeError('CERT_HAS_EXPIRED', 'certificate has expired') } }), 'CERT_HAS_EXPIRED: certificate has expired');
    assert.equal(certificateProblem(nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")), "ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames");
    assert.equal(certificateProblem(nodeError('ECONNREFUSED', 'connect ECONNREFUSED')), undefined);
    assert.equal(certificateProblem(undefined), undefined);
  });

  test('a plain port behind an https URL', () => {
    assert.ok(notTls(nodeError('EPROTO', 'write EPROTO 80EC64CCB27F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number')));
    assert.ok(notTls(nodeError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number')));
    assert.ok(!notTls(nodeError('ECONNRESET', 'socket hang up')));
  });
});

describe('crashes kafkajs would restart from', () => {
  test('passed on: a configuration fault, and an undecodable batch even behind the retries of kafkajs; not: Kafka lost', () => {
    const undecodable = new KafkaJSNumberOfRetriesExceeded(new UndecodableBatch('zstd', new Error('bad frame')), { retryCount: 5, retryTime: 1000 });
    assert.equal(passCrashOn(classifyKafkaError(undecodable, 'metrics', [0]), true), true);
    const lost = classifyKafkaError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'), 'metrics');
    assert.equal(passCrashOn(lost, true), false, 'kafkajs reconnects; the Kafka watchdog decides');
    assert.equal(passCrashOn(lost, false), true);
    const tls = classifyKafkaError(new KafkaJSConnectionError('Connection error: x', { broker: 'b:1', code: 'CERT_HAS_EXPIRED' }), 'metrics');
    assert.equal(passCrashOn(tls, true), true);
  });

  test('after the group was joined once, a configuration fault is taken as passing: Kafka lost (69), not 78', () => {
    const tls = classifyKafkaError(new KafkaJSConnectionError('Connection error: x', { broker: 'b:1', code: 'CERT_HAS_EXPIRED' }), 'metrics');
    const later = afterWorking(tls);
    assert.equal(later.fault, Fault.KAFKA_LOST);
    assert.match(later.message, /CERT_HAS_EXPIRED.*\(these settings worked before: taken as passing\)$/);
    assert.equal(passCrashOn(later, true), false);
  });

  test('a SASL login cut by a closed connection or a timeout is not a verdict on the credentials', () => {
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    for (const detail of ['Closed connection', 'Request sasl_authenticate(key: 36, version: 2) timed out', 'Connection closed by the server']) {
      const fault = classifyKafkaError(new SaslError(`SASL SCRAM SHA512 authentication failed: ${detail}`), 'metrics');
      assert.equal(fault.fault, Fault.KAFKA_LOST, detail);
    }
  });
});
