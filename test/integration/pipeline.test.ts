/**
 * The daemon end to end on the real Kafka and InfluxDB of test/helpers/stack.sh, on each InfluxDB
 * version of it (1.6.7 and 1.8.10): what lands in InfluxDB, and what is committed in Kafka.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTopic, offsets, produce } from '../helpers/kafka.js';
import { malformedMessage, sampleAlarm, sampleMetric, TENANTS } from '../helpers/messages.js';
import { onTheStack, pointCount, storedMetricPoints, waitForCommitted } from '../helpers/scenario.js';
import { type InfluxTarget, influxQuery, influxTargets, stack, uniqueName } from '../helpers/stack.js';

// The stack first: with onTheStack's `before` hook registered earlier and waiting on the same
// stack() as a top-level await, Node 20's runner ends the file without running a test.
const s = await stack();
const stackRun = onTheStack();

async function newTopics(influx: InfluxTarget, partitions = 3) {
  const id = uniqueName('t');
  const metricsTopic = `metrics-${id}`;
  const alarmsTopic = `alarms-${id}`;
  await createTopic(stackRun.brokers, metricsTopic, partitions);
  await createTopic(stackRun.brokers, alarmsTopic, partitions);
  return { brokers: stackRun.brokers, influxUrl: influx.url, metricsTopic, alarmsTopic, group: id, database: `mon_${id}` };
}

const allCommitted = (group: string, topic: string, timeoutMs = 60_000) => waitForCommitted(stackRun.brokers, group, topic, 'end', timeoutMs);

for (const influx of influxTargets(s)) describe(`persisting metrics and alarm transitions (InfluxDB ${influx.version})`, () => {
  test('10,000 metrics over 3 partitions and 5 tenants plus 100 alarms: every point stored as the reference writes it, offsets committed', async () => {
    const t = await newTopics(influx, 3);
    const metrics = Array.from({ length: 10_000 }, (_, i) => sampleMetric(i));
    const alarms = Array.from({ length: 100 }, (_, i) => sampleAlarm(i));
    await produce(stackRun.brokers, t.metricsTopic, metrics.map((m) => m.value));
    await produce(stackRun.brokers, t.alarmsTopic, alarms.map((a) => a.value));
    const run = stackRun.start({ ...t, metricsBatchSize: 2000 });
    await allCommitted(`${t.group}_metrics`, t.metricsTopic);
    await allCommitted(`${t.group}_alarms`, t.alarmsTopic);
    const exit = await run.stop();
    assert.equal(exit.code, 0, run.tail());

    // Every metric, with its tags, fields and timestamp.
    const stored = new Map<string, Record<string, unknown>>();
    for (const name of ['cpu.idle_perc', 'mem.free_mb', 'disk.space_used_perc']) {
      const r = await influxQuery(influx.url, `SELECT * FROM "${name}"`, t.database);
      const series = r[0].series![0];
      for (const row of series.values) {
        const point = Object.fromEntries(series.columns.map((c, i) => [c, row[i]]));
        stored.set(`${name}|${point.time}|${point._tenant_id}|${point.hostname}`, point);
      }
    }
    assert.equal(stored.size, metrics.length);
    for (const [i, m] of metrics.entries()) {
      const p = stored.get(`${m.name}|${m.timestampMs}|${m.tenant}|${m.hostname}`);
      assert.ok(p, `metric ${i} missing`);
      assert.equal(p.value, m.metricValue);
      assert.equal(p._region, 'RegionOne');
      assert.equal(p.service, 'monitoring');
      assert.equal(p.component, 'persister-test');
      assert.equal(p.value_meta, i % 10 === 0 ? `{"note": "sample ${i}"}` : '{}');
    }
    const tags = await influxQuery(influx.url, 'SHOW TAG KEYS FROM "cpu.idle_perc"', t.database);
    assert.deepEqual(tags[0].series![0].values.flat(), ['_region', '_tenant_id', 'component', 'hostname', 'service']);

    // Every alarm transition, with the reference's fields.
    const r = await influxQuery(influx.url, 'SELECT * FROM alarm_state_history', t.database);
    const series = r[0].series![0];
    assert.equal(series.values.length, 100);
    const rows = series.values.map((row) => Object.fromEntries(series.columns.map((c, i) => [c, row[i]])));
    for (const a of alarms) {
      const row = rows.find((x) => x.alarm_id === a.alarmId);
      assert.ok(row, `${a.alarmId} missing`);
      assert.equal(row.time, a.timestampMs);
      assert.equal(row.tenant_id, a.tenant);
      assert.equal(row.link, '');
      assert.equal(row.lifecycle_state, '');
      assert.equal(row.reason_data, '{}');
      assert.equal(
        row.sub_alarms,
        '[{"sub_alarm_expression": {"function": "AVG", "metricName": "cpu.idle_perc", "operator": "LT", "threshold": 10.0, "period": 60, "periods": 1}, "sub_alarm_state": "ALARM", "current_values": [5.5]}]',
      );
      assert.equal(row.metrics, JSON.stringify(JSON.parse(a.value)['alarm-transitioned'].metrics).replace(/,"/g, ', "').replace(/":/g, '": '));
    }
  });

  test('db_per_tenant: one database per tenant, created with the retention policy', async () => {
    const t = await newTopics(influx, 3);
    // Recent points: InfluxDB drops points older than the retention policy.
    const metrics = Array.from({ length: 500 }, (_, i) => sampleMetric(i, Date.now() - 3_600_000));
    await produce(stackRun.brokers, t.metricsTopic, metrics.map((m) => m.value));
    const run = stackRun.start({ ...t, dbPerTenant: true, retentionHours: 48, alarmsEnabled: false });
    await allCommitted(`${t.group}_metrics`, t.metricsTopic);
    assert.equal((await run.stop()).code, 0);
    for (const tenant of TENANTS) {
      const db = `${t.database}_${tenant}`;
      const total =
        await storedMetricPoints(influx.url, db);
      assert.equal(total, 100, `points in ${db}`);
      const rps = await influxQuery(influx.url, `SHOW RETENTION POLICIES ON "${db}"`);
      const rp = rps[0].series![0].values.find((v) => v[0] === '48h');
      assert.ok(rp, `no 48h policy on ${db}: ${JSON.stringify(rps)}`);
      assert.equal(rp[1], '48h0m0s');
      assert.equal(rp[rp.length - 1], true, 'the 48h policy is the default');
    }
    const dbs = (await influxQuery(influx.url, 'SHOW DATABASES'))[0].series![0].values.flat();
    assert.ok(!dbs.includes(t.database), 'nothing written to the shared database');
  });

  test('1% malformed messages interleaved: every other message stored, each drop logged (or summed up) and counted', async () => {
    const t = await newTopics(influx, 3);
    const values: string[] = [];
    let malformed = 0;
    for (let i = 0; i < 3000; i++) {
      if (i % 100 === 50) values.push(malformedMessage(malformed++));
      else values.push(sampleMetric(i).value);
    }
    await produce(stackRun.brokers, t.metricsTopic, values);
    const run = stackRun.start({ ...t, alarmsEnabled: false });
    await allCommitted(`${t.group}_metrics`, t.metricsTopic);
    assert.equal((await run.stop()).code, 0);
    const total =
      await storedMetricPoints(influx.url, t.database);
    assert.equal(total, 3000 - malformed);
    // Each drop is logged in full (the first 10 of each kind per minute) or counted in a summary line.
    const drops = run.logs.filter((l) => l.msg === 'message dropped');
    const notLogged = run.logs.filter((l) => /not logged one by one/.test(l.msg)).reduce((n, l) => n + Number(l.notLogged), 0);
    // malformedMessage cycles through 6 messages: 1 in 6 is not JSON, 5 in 6 are invalid JSON
    const notJson = Math.ceil(malformed / 6);
    const invalid = malformed - notJson;
    assert.equal(drops.length, Math.min(notJson, 10) + Math.min(invalid, 10), 'the first 10 of each kind in full');
    assert.equal(notLogged, malformed - drops.length, 'the rest summed up');
    for (const d of drops) {
      assert.equal(typeof d.partition, 'number');
      assert.equal(typeof d.offset, 'string');
      assert.match(String(d.reason), /\S/);
    }
    const final = run.logs.find((l) => l.msg === 'final counts' && l.topic === t.metricsTopic);
    assert.equal(final?.dropped, malformed);
    assert.equal(final?.stored, 3000 - malformed);
  });

  test('a partial batch is written max_wait_time_seconds after its first message, with no more messages coming', async () => {
    const t = await newTopics(influx, 1);
    const run = stackRun.start({ ...t, metricsBatchSize: 1000, maxWaitSeconds: 2, alarmsEnabled: false });
    await run.waitForLog((l) => l.msg === 'joined consumer group');
    const sentAt = Date.now();
    await produce(stackRun.brokers, t.metricsTopic, Array.from({ length: 7 }, (_, i) => sampleMetric(i * 3).value));
    await allCommitted(`${t.group}_metrics`, t.metricsTopic, 20_000);
    const waited = Date.now() - sentAt;
    assert.equal(await pointCount(influx.url, t.database, 'cpu.idle_perc'), 7);
    assert.ok(run.child.exitCode === null, 'the daemon is still running');
    assert.ok(waited >= 1500, `written after ${waited} ms, before max_wait_time_seconds`);
    assert.equal((await run.stop()).code, 0);
  });

  test('SIGTERM while messages are flowing: exit 0, and a second run stores the rest with nothing lost', async () => {
    const t = await newTopics(influx, 3);
    const total = 30_000;
    const values = Array.from({ length: total }, (_, i) => sampleMetric(i).value);
    const producing = produce(stackRun.brokers, t.metricsTopic, values, { chunk: 300, pauseMs: 30 });
    const first = stackRun.start({ ...t, metricsBatchSize: 500, alarmsEnabled: false });
    // Stop once some batches are stored, while the producer is still sending.
    for (;;) {
      const o = await offsets(stackRun.brokers, `${t.group}_metrics`, t.metricsTopic);
      if (o.some((p) => Number(p.committed) > 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const exit = await first.stop('SIGTERM');
    assert.equal(exit.code, 0, first.tail());
    const firstCounts = first.logs.find((l) => l.msg === 'final counts');
    assert.ok(firstCounts, 'final counts logged');
    assert.equal(firstCounts.committed, firstCounts.fetched, 'everything fetched was stored and committed before exit');
    await producing;
    const before = await offsets(stackRun.brokers, `${t.group}_metrics`, t.metricsTopic);
    assert.ok(before.some((p) => p.committed !== p.end), 'the first run stopped mid-stream');

    const second = stackRun.start({ ...t, metricsBatchSize: 500, alarmsEnabled: false });
    await allCommitted(`${t.group}_metrics`, t.metricsTopic);
    assert.equal((await second.stop()).code, 0);
    const stored =
      await storedMetricPoints(influx.url, t.database);
    assert.equal(stored, total);
  });

  test('num_processors = 2: the consumers share the partitions, and SIGTERM commits all each has stored before either leaves', async () => {
    const t = await newTopics(influx, 6);
    const total = 20_000;
    const producing = produce(stackRun.brokers, t.metricsTopic, Array.from({ length: total }, (_, i) => sampleMetric(i).value), {
      chunk: 300,
      pauseMs: 30,
    });
    const settings = { ...t, metricsBatchSize: 500, alarmsEnabled: false, numProcessors: 2 };
    const first = stackRun.start(settings);
    await first.waitForLog((l) => l.msg === 'joined consumer group' && l.actor === 'metrics-1');
    for (;;) {
      const o = await offsets(stackRun.brokers, `${t.group}_metrics`, t.metricsTopic);
      if (o.filter((p) => Number(p.committed) > 0).length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await first.stop('SIGTERM')).code, 0, first.tail());
    assert.deepEqual(
      first.logs.filter((l) => l.msg.startsWith('offset commit failed')),
      [],
      'no commit failed while stopping',
    );
    const counts = first.logs.find((l) => l.msg === 'final counts');
    assert.equal(counts?.committed, counts?.fetched, 'everything fetched was committed');
    await producing;
    const second = stackRun.start(settings);
    await allCommitted(`${t.group}_metrics`, t.metricsTopic);
    assert.equal((await second.stop()).code, 0);
    const stored =
      await storedMetricPoints(influx.url, t.database);
    assert.equal(stored, total);
  });
});

describe(`InfluxDB with authentication (${s.influxAuth.version})`, () => {
  test('InfluxDB with authentication: writes with the configured user and password', async () => {
    const t = await newTopics(s.influxAuth, 1);
    await produce(stackRun.brokers, t.metricsTopic, Array.from({ length: 200 }, (_, i) => sampleMetric(i).value));
    const { user, password } = s.influxAuth;
    const run = stackRun.start({ ...t, user, password, alarmsEnabled: false });
    await allCommitted(`${t.group}_metrics`, t.metricsTopic);
    assert.equal((await run.stop()).code, 0);
    assert.equal(await storedMetricPoints(s.influxAuth.url, t.database, { user, password }), 200);
    assert.ok(!JSON.stringify(run.logs).includes(password), 'the password never appears in the logs');
  });
});
