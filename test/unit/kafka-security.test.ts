/** The [kafka] security options as kafkajs's `ssl` and `sasl`. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { clientSecurity, type KafkaSecurity } from '../../src/kafka/security.js';

const dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const BASE: KafkaSecurity = { securityProtocol: 'PLAINTEXT', sslCheckHostname: true, saslMechanism: 'PLAIN' };

test('PLAINTEXT: neither TLS nor SASL', () => {
  assert.deepEqual(clientSecurity(BASE), {});
});

test('SSL: the CA, client certificate and key read from their files; host names checked unless told not to', () => {
  const s = clientSecurity({ ...BASE, securityProtocol: 'SSL', sslCafile: file('ca.pem', 'CA'), sslCertfile: file('c.pem', 'CERT'), sslKeyfile: file('k.pem', 'KEY') });
  assert.deepEqual(s.ssl?.ca, [Buffer.from('CA')]);
  assert.deepEqual(s.ssl?.cert, Buffer.from('CERT'));
  assert.deepEqual(s.ssl?.key, Buffer.from('KEY'));
  assert.equal(s.ssl?.checkServerIdentity, undefined);
  assert.equal(s.sasl, undefined);
  const unchecked = clientSecurity({ ...BASE, securityProtocol: 'SSL', sslCheckHostname: false });
  assert.equal(typeof unchecked.ssl?.checkServerIdentity, 'function');
  assert.equal(unchecked.ssl?.checkServerIdentity?.('other.example', {} as never), undefined);
  assert.equal(unchecked.ssl?.ca, undefined, 'no ssl_cafile: the system CAs');
});

test('SASL_PLAINTEXT and SASL_SSL: the mechanism as kafkajs names it, with the credentials', () => {
  const plain = clientSecurity({ ...BASE, securityProtocol: 'SASL_PLAINTEXT', saslMechanism: 'SCRAM-SHA-512', saslPlainUsername: 'u', saslPlainPassword: 'p' });
  assert.deepEqual(plain, { sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
  const tls = clientSecurity({ ...BASE, securityProtocol: 'SASL_SSL', saslMechanism: 'PLAIN', saslPlainUsername: 'u', saslPlainPassword: 'p' });
  assert.deepEqual(tls.sasl, { mechanism: 'plain', username: 'u', password: 'p' });
  assert.ok(tls.ssl);
});
