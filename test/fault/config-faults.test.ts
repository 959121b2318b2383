/**
 * Configuration faults on the real stack fail fast: InfluxDB refusing the password, a user that may
 * not create the database, a database without its retention policy, and an InfluxDB serving HTTPS
 * with a certificate the daemon cannot trust (made by the test with openssl). Each: exit 78 within
 * 30 s, with one line saying what to fix, the password never logged, nothing committed.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Daemon, DaemonSettings } from '../helpers/daemon.js';
import { startInfluxTls } from '../helpers/influx-tls.js';
import { createTopic, produce } from '../helpers/kafka.js';
import { sampleMetric } from '../helpers/messages.js';
import { InfluxHttp } from '../../src/influx/client.js';
import { committedCount, onTheStack, SAMPLE_MEASUREMENTS, waitForCommitted } from '../helpers/scenario.js';
import { influxQuery, stack, uniqueName } from '../helpers/stack.js';

const stackRun = onTheStack();
const EXIT_WITHIN_MS = 30_000;
const COUNT = 200;

async function scenario(influxUrl: string) {
  const id = uniqueName('c');
  const metricsTopic = `metrics-${id}`;
  await createTopic(stackRun.brokers, metricsTopic, 1);
  await produce(stackRun.brokers, metricsTopic, Array.from({ length: COUNT }, (_, i) => sampleMetric(i).value));
  const settings: DaemonSettings = {
    brokers: stackRun.brokers,
    influxUrl,
    metricsTopic,
    alarmsTopic: `alarms-${id}`,
    group: id,
    database: `mon_${id}`,
    alarmsEnabled: false,
    metricsBatchSize: 50,
    maxWaitSeconds: 1,
    supervisor: { write_attempts: 5, restart_initial_delay_seconds: 1 },
  };
  return { id, settings, committed: () => committedCount(stackRun.brokers, `${id}_metrics`, metricsTopic) };
}

/** Runs the daemon until it exits; asserts exit 78 within EXIT_WITHIN_MS and returns the reason logged. */
async function expectConfigExit(t: TestContext, daemon: Daemon, secret?: string): Promise<string> {
  const started = Date.now();
  const exit = await Promise.race([daemon.exited, new Promise<{ code: number }>((r) => setTimeout(() => r({ code: -1 }), EXIT_WITHIN_MS))]);
  const exitAfterMs = Date.now() - started;
  assert.equal(exit.code, 78, `exit status after ${exitAfterMs} ms\n${daemon.tail()}`);
  const exiting = daemon.logs.filter((l) => l.msg === 'exiting');
  assert.equal(exiting.length, 1, daemon.tail());
  assert.equal(daemon.logs.filter((l) => l.msg === 'writer failed; its consumer is paused until it is restarted').length, 0, 'no restart');
  assert.equal(daemon.logs.filter((l) => l.msg === 'InfluxDB write failed').length, 0, 'no retry');
  if (secret) assert.ok(!daemon.logs.some((l) => JSON.stringify(l).includes(secret)), 'the password is never logged');
  t.diagnostic(`exitStatus=${exit.code} exitAfterMs=${exitAfterMs}`);
  return String(exiting[0].reason);
}

describe('configuration faults fail fast, on the real stack', { timeout: 300_000 }, () => {
  test('InfluxDB refusing the password: exit 78, naming what to fix; nothing committed', async (t) => {
    const { influxAuth } = await stack();
    const s = await scenario(influxAuth.url);
    const password = 'not-the-password-xyz';
    const daemon = stackRun.start({ ...s.settings, user: influxAuth.user, password });
    const reason = await expectConfigExit(t, daemon, password);
    assert.match(reason, /InfluxDB answered 401: authorization failed: check \[influxdb\] user and password/);
    assert.equal(await s.committed(), 0);
  });

  test('a user that may not create the database: exit 78; nothing committed', async (t) => {
    const { influxAuth } = await stack();
    const s = await scenario(influxAuth.url);
    const user = `writer_${s.id}`;
    await influxQuery(influxAuth.url, `CREATE USER "${user}" WITH PASSWORD 'writer-pw'`, undefined, influxAuth);
    const daemon = stackRun.start({ ...s.settings, user, password: 'writer-pw' });
    const reason = await expectConfigExit(t, daemon, 'writer-pw');
    assert.match(reason, /403: error authorizing query: .*requires admin privilege: check \[influxdb\] user/);
    assert.equal(await s.committed(), 0);
  });

  test('a database whose default retention policy is gone: exit 78; nothing committed', async (t) => {
    const { influx } = await stack();
    const s = await scenario(influx.url);
    await influxQuery(influx.url, `CREATE DATABASE "${s.settings.database}"`);
    await influxQuery(influx.url, `DROP RETENTION POLICY "autogen" ON "${s.settings.database}"`);
    const reason = await expectConfigExit(t, stackRun.start(s.settings));
    assert.match(reason, /retention policy not found: autogen: give the database a default retention policy/);
    assert.equal(await s.committed(), 0);
  });

  test('Kafka refusing the SASL password: exit 78 naming what to fix; the password never logged; nothing committed', async (t) => {
    const { kafkaSasl } = await stack();
    const s = await scenario(stackRun.influxUrl);
    const password = 'wrong-sasl-password-123';
    const daemon = stackRun.start({
      ...s.settings,
      brokers: kafkaSasl.brokers,
      kafka: { security_protocol: 'SASL_PLAINTEXT', sasl_mechanism: 'SCRAM-SHA-512', sasl_plain_username: kafkaSasl.username, sasl_plain_password: password },
    });
    const reason = await expectConfigExit(t, daemon, password);
    assert.match(reason, /SASL authentication refused .*: check sasl_mechanism, sasl_plain_username and sasl_plain_password in \[kafka\]/);
    assert.equal(await s.committed(), 0);
  });

  test('a Kafka broker certificate not trusted (no ssl_cafile): exit 78 naming the certificate problem; nothing committed', async (t) => {
    const { kafkaSsl } = await stack();
    const s = await scenario(stackRun.influxUrl);
    const reason = await expectConfigExit(t, stackRun.start({ ...s.settings, brokers: kafkaSsl.brokers, kafka: { security_protocol: 'SSL' } }));
    assert.match(reason, /a broker's TLS certificate failed verification \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
    assert.equal(await s.committed(), 0);
  });

  test('InfluxDB serving HTTPS with a certificate of an untrusted CA, verify_ssl = true: exit 78 naming the certificate problem; nothing committed', async (t) => {
    const influx = await startInfluxTls();
    t.after(() => influx.stop());
    const s = await scenario(influx.url);
    const reason = await expectConfigExit(t, stackRun.start({ ...s.settings, verifySsl: true }));
    assert.match(reason, /its TLS certificate failed verification \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate\)/);
    assert.equal(await s.committed(), 0);
  });

  for (const trust of ['ssl_ca_file', 'verify_ssl = false'] as const) {
  test(`the same InfluxDB, ${trust === 'ssl_ca_file' ? 'its CA trusted through ssl_ca_file' : 'with verify_ssl = false (warned once)'}: everything stored and committed`, async () => {
    const influx = await startInfluxTls();
    const s = await scenario(influx.url);
    try {
      const daemon = stackRun.start({ ...s.settings, ...(trust === 'ssl_ca_file' ? { verifySsl: true, sslCaFile: influx.caFile } : { verifySsl: false }) });
      await waitForCommitted(stackRun.brokers, `${s.id}_metrics`, s.settings.metricsTopic, COUNT, 60_000, daemon);
      assert.equal((await daemon.stop()).code, 0);
      const client = new InfluxHttp({ url: influx.url, verifySsl: false });
      let stored = 0;
      for (const m of SAMPLE_MEASUREMENTS) {
        const [result] = await client.query(`SELECT count("value") FROM "${m}"`, s.settings.database);
        stored += Number(result?.series?.[0]?.values?.[0]?.[1] ?? 0);
      }
      assert.equal(stored, COUNT);
      const warnings = daemon.logs.filter((l) => l.msg === 'InfluxDB certificate not verified (verify_ssl = false)').length;
      assert.equal(warnings, trust === 'ssl_ca_file' ? 0 : 1);
    } finally {
      await influx.stop();
    }
  });
  }
});
