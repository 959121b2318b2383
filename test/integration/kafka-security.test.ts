/**
 * Kafka over TLS and with SASL, on the stack's broker: its SSL listener (a certificate of a private
 * CA, trusted through ssl_cafile) and its SASL_PLAINTEXT listener (SCRAM-SHA-512). Messages are
 * produced over PLAINTEXT; the daemon reads them over the secured listener, stores and commits all.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DaemonSettings } from '../helpers/daemon.js';
import { createTopic, produce } from '../helpers/kafka.js';
import { sampleMetric } from '../helpers/messages.js';
import { onTheStack, storedMetricPoints, waitForCommitted } from '../helpers/scenario.js';
import { stack, uniqueName } from '../helpers/stack.js';

const stackRun = onTheStack();
const COUNT = 1_000;

async function scenario(brokers: string[], kafka: Record<string, string | boolean>) {
  const id = uniqueName('s');
  const topic = `metrics-${id}`;
  await createTopic(stackRun.brokers, topic, 2);
  await produce(stackRun.brokers, topic, Array.from({ length: COUNT }, (_, i) => sampleMetric(i).value));
  const settings: DaemonSettings = {
    brokers,
    influxUrl: stackRun.influxUrl,
    metricsTopic: topic,
    alarmsTopic: `alarms-${id}`,
    alarmsEnabled: false,
    group: id,
    database: `mon_${id}`,
    metricsBatchSize: 500,
    maxWaitSeconds: 1,
    kafka,
  };
  return { id, topic, settings };
}

describe('Kafka security', { timeout: 300_000 }, () => {
  test('SSL, the broker certificate trusted through ssl_cafile (host name checked): all stored and committed', async () => {
    const { kafkaSsl } = await stack();
    const s = await scenario(kafkaSsl.brokers, { security_protocol: 'SSL', ssl_cafile: kafkaSsl.caFile });
    const daemon = stackRun.start(s.settings);
    await waitForCommitted(stackRun.brokers, `${s.id}_metrics`, s.topic, 'end', 120_000, daemon);
    assert.equal((await daemon.stop()).code, 0, daemon.tail());
    assert.equal(await storedMetricPoints(stackRun.influxUrl, s.settings.database), COUNT);
  });

  test('SASL_PLAINTEXT with SCRAM-SHA-512: all stored and committed; the password never logged', async () => {
    const { kafkaSasl } = await stack();
    const s = await scenario(kafkaSasl.brokers, {
      security_protocol: 'SASL_PLAINTEXT',
      sasl_mechanism: kafkaSasl.mechanism,
      sasl_plain_username: kafkaSasl.username,
      sasl_plain_password: kafkaSasl.password,
    });
    const daemon = stackRun.start(s.settings);
    await waitForCommitted(stackRun.brokers, `${s.id}_metrics`, s.topic, 'end', 120_000, daemon);
    assert.equal((await daemon.stop()).code, 0, daemon.tail());
    assert.equal(await storedMetricPoints(stackRun.influxUrl, s.settings.database), COUNT);
    assert.ok(!daemon.logs.some((l) => JSON.stringify(l).includes(kafkaSasl.password)), 'the SASL password is never logged');
    assert.ok(daemon.logs.some((l) => l.msg === 'configuration loaded' && JSON.stringify(l).includes('"saslPlainPassword":"***"')));
  });
});
