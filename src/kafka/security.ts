/** The [kafka] security options (as Python Kafka clients name them) -> kafkajs's `ssl` and `sasl`. */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { TopicConfig } from '../config/index.js';

export type KafkaSecurity = Pick<
  TopicConfig,
  'securityProtocol' | 'sslCafile' | 'sslCertfile' | 'sslKeyfile' | 'sslCheckHostname' | 'saslMechanism' | 'saslPlainUsername' | 'saslPlainPassword'
>;

export interface KafkaClientSecurity {
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
}

const MECHANISMS = { PLAIN: 'plain', 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512' } as const;

/** Reads the CA, certificate and key files (the configuration checked they are readable). */
export function clientSecurity(s: KafkaSecurity): KafkaClientSecurity {
  const out: KafkaClientSecurity = {};
  if (s.securityProtocol === 'SSL' || s.securityProtocol === 'SASL_SSL') {
    const ssl: ConnectionOptions = {};
    if (s.sslCafile) ssl.ca = [readFileSync(s.sslCafile)];
    if (s.sslCertfile) ssl.cert = readFileSync(s.sslCertfile);
    if (s.sslKeyfile) ssl.key = readFileSync(s.sslKeyfile);
    if (!s.sslCheckHostname) ssl.checkServerIdentity = () => undefined;
    out.ssl = ssl;
  }
  if (s.securityProtocol === 'SASL_PLAINTEXT' || s.securityProtocol === 'SASL_SSL') {
    const mechanism = MECHANISMS[s.saslMechanism];
    out.sasl = { mechanism, username: s.saslPlainUsername ?? '', password: s.saslPlainPassword ?? '' } as SASLOptions;
  }
  return out;
}
