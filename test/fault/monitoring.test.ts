/**
 * The monitoring endpoint of a real daemon on the real stack: /metrics scraped during a run and
 * checked against what was produced, dropped and stored; /readyz while InfluxDB is cut off
 * (through the fault proxy) and after; a port already in use.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import type { Daemon } from '../helpers/daemon.js';
import { createTopic, produce } from '../helpers/kafka.js';
import { malformedMessage, sampleMetric } from '../helpers/messages.js';
import { FaultProxy } from '../helpers/proxy.js';
import { onTheStack, storedMetricPoints, waitForCommitted } from '../helpers/scenario.js';
import { uniqueName } from '../helpers/stack.js';
import { sample } from '../helpers/prometheus.js';
import { until } from '../helpers/wait.js';

const stackRun = onTheStack();

const FAST_SUPERVISION = {
  write_attempts: 2,
  write_retry_initial_seconds: 0.2,
  write_retry_max_seconds: 0.5,
  restart_initial_delay_seconds: 0.5,
  restart_max_delay_seconds: 2,
  max_restarts: 100,
};

async function setup() {
  const id = uniqueName('mon');
  const metricsTopic = `metrics-${id}`;
  await createTopic(stackRun.brokers, metricsTopic, 3);
  return { brokers: stackRun.brokers, influxUrl: stackRun.influxUrl, metricsTopic, alarmsTopic: `alarms-${id}`, group: id, database: `mon_${id}`, alarmsEnabled: false };
}

/** The endpoint's URL, from the daemon's log. */
async function endpointOf(daemon: Daemon): Promise<string> {
  const line = await daemon.waitForLog((l) => l.msg === 'monitoring endpoint listening', 30_000);
  return String(line.url);
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

interface Readiness {
  status: string;
  reason?: string;
  supervisor: string;
  pipelines: Record<string, string>;
}

async function readiness(url: string): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

describe('the monitoring endpoint on the real stack', { timeout: 300_000 }, () => {
  test('/metrics counts what was produced, dropped and stored, lag reaches 0; /readyz is 503 while InfluxDB is cut off and 200 after', async (t) => {
    const s = await setup();
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(stackRun.influxUrl).port) });
    t.after(() => proxy.close());
    const good = 3000;
    const bad = 60; // malformedMessage's kinds in turn: 10 not JSON, 50 JSON that cannot be stored
    const values = [...Array.from({ length: good }, (_, i) => sampleMetric(i).value), ...Array.from({ length: bad }, (_, i) => malformedMessage(i))];
    values.push(''); // an empty value
    const daemon = stackRun.start({ ...s, influxUrl: proxy.url, metricsBatchSize: 500, maxWaitSeconds: 1, supervisor: FAST_SUPERVISION });
    const url = await endpointOf(daemon);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'port 0: a free port, logged');

    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');

    let ready = await readiness(url);
    await until('ready once the consumer joined', async () => (ready = await readiness(url)).status === 200, 60_000, () => ready);
    assert.deepEqual(ready.body.pipelines, { 'metrics-0': 'running' });

    await produce(stackRun.brokers, s.metricsTopic, values);
    await waitForCommitted(s.brokers, `${s.group}_metrics`, s.metricsTopic, 'end', 60_000, daemon);
    const total = values.length;
    let text = await scrape(url);
    const topic = { topic: s.metricsTopic };
    assert.equal(sample(text, 'monasca_persister_messages_consumed_total', topic), total);
    assert.equal(sample(text, 'monasca_persister_points_written_total', topic), good);
    assert.equal(sample(text, 'monasca_persister_offsets_committed_total', topic), total);
    assert.equal(sample(text, 'monasca_persister_messages_dropped_total', { ...topic, reason: 'not_json' }), 10);
    assert.equal(sample(text, 'monasca_persister_messages_dropped_total', { ...topic, reason: 'invalid' }), 50);
    assert.equal(sample(text, 'monasca_persister_messages_dropped_total', { ...topic, reason: 'empty' }), 1);
    assert.equal(sample(text, 'monasca_persister_messages_dropped_total', { ...topic, reason: 'refused' }), 0);
    for (const partition of ['0', '1', '2']) assert.equal(sample(text, 'monasca_persister_consumer_lag', { ...topic, partition }), 0, `lag of partition ${partition}`);
    const writes = sample(text, 'monasca_persister_write_duration_seconds_count', topic) ?? 0;
    assert.ok(writes >= 1, `writes observed: ${writes}`);
    assert.equal(sample(text, 'monasca_persister_batch_messages_sum', topic), total, 'every message was in one written batch');
    assert.equal(sample(text, 'monasca_persister_supervisor_state', { state: 'running' }), 1);
    assert.equal(sample(text, 'monasca_persister_pipeline_state', { pipeline: 'metrics-0', state: 'running' }), 1);
    assert.equal(await storedMetricPoints(s.influxUrl, s.database), good);

    // InfluxDB cut off: the writer fails, is restarted with backoff; not ready meanwhile.
    proxy.setMode('refuse');
    const more = Array.from({ length: 500 }, (_, i) => sampleMetric(good + i).value);
    await produce(stackRun.brokers, s.metricsTopic, more);
    await until('503 while InfluxDB is cut off', async () => (ready = await readiness(url)).status === 503, 60_000, () => ready);
    assert.equal(ready.body.pipelines['metrics-0'], 'writer_down');
    assert.match(ready.body.reason ?? '', /metrics-0 is writer down/);
    text = await scrape(url);
    assert.equal(sample(text, 'monasca_persister_supervisor_state', { state: 'degraded' }), 1);
    assert.ok((sample(text, 'monasca_persister_consumer_lag', { ...topic, partition: '0' }) ?? 0) > 0, 'lag while nothing can be stored');

    proxy.setMode('pass');
    await until('200 once InfluxDB is back', async () => (ready = await readiness(url)).status === 200, 60_000, () => ready);
    await waitForCommitted(s.brokers, `${s.group}_metrics`, s.metricsTopic, 'end', 60_000, daemon);
    text = await scrape(url);
    assert.ok((sample(text, 'monasca_persister_writer_restarts_total', { pipeline: 'metrics-0' }) ?? 0) >= 1, 'the restart is counted');
    assert.equal(sample(text, 'monasca_persister_points_written_total', topic), good + more.length);
    for (const partition of ['0', '1', '2']) assert.equal(sample(text, 'monasca_persister_consumer_lag', { ...topic, partition }), 0, `lag of partition ${partition} after`);
    assert.equal((await fetch(`${url}/nothing`)).status, 404);
    assert.equal((await daemon.stop()).code, 0, daemon.tail());
  });

  test('a port already in use is logged and the daemon persists without the endpoint', async () => {
    const s = await setup();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const daemon = stackRun.start({ ...s, maxWaitSeconds: 1, monitoring: { port } });
      const line = await daemon.waitForLog((l) => /monitoring endpoint not started/.test(l.msg), 30_000);
      assert.match(line.msg, new RegExp(`127\\.0\\.0\\.1:${port} \\(the port is already in use\\)`));
      assert.equal(line.level, 50, 'an error');
      await produce(stackRun.brokers, s.metricsTopic, Array.from({ length: 100 }, (_, i) => sampleMetric(i).value));
      await waitForCommitted(s.brokers, `${s.group}_metrics`, s.metricsTopic, 'end', 60_000, daemon);
      assert.equal(await storedMetricPoints(s.influxUrl, s.database), 100);
      assert.equal((await daemon.stop()).code, 0, daemon.tail());
    } finally {
      taken.close();
    }
  });
});
