/**
 * Pipelines on worker threads (`[supervisor] pipeline_threads`, auto with more than one pipeline),
 * on the real Kafka and InfluxDB: supervised exactly as in one thread. Every message stored once
 * and the counters of every thread in the final log; a writer that fails in a thread is restarted
 * (the supervisor is degraded, then running again); a configuration fault in a thread exits 78 at
 * once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTopic, produce } from '../helpers/kafka.js';
import { sampleAlarm, sampleMetric } from '../helpers/messages.js';
import { FaultProxy } from '../helpers/proxy.js';
import { committedCount, onTheStack, pointCount, storedMetricPoints, waitForCommitted } from '../helpers/scenario.js';
import { stack, uniqueName } from '../helpers/stack.js';

const stackRun = onTheStack();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(partitions: number) {
  const id = uniqueName('t');
  const metricsTopic = `metrics-${id}`;
  const alarmsTopic = `alarms-${id}`;
  await createTopic(stackRun.brokers, metricsTopic, partitions);
  await createTopic(stackRun.brokers, alarmsTopic, partitions);
  const settings = { brokers: stackRun.brokers, influxUrl: stackRun.influxUrl, metricsTopic, alarmsTopic, group: id, database: `mon_${id}` };
  return {
    id,
    settings,
    waitForMetrics: (n: number, timeoutMs: number) => waitForCommitted(stackRun.brokers, `${id}_metrics`, metricsTopic, n, timeoutMs),
    waitForAlarms: (n: number, timeoutMs: number) => waitForCommitted(stackRun.brokers, `${id}_alarms`, alarmsTopic, n, timeoutMs),
    committed: () => committedCount(stackRun.brokers, `${id}_metrics`, metricsTopic),
  };
}

describe('pipelines on worker threads', { timeout: 300_000 }, () => {
  test('two metrics and two alarms pipelines, each on its own thread: every message stored once, exit 0, all counted', async () => {
    const s = await setup(4);
    const metrics = 6_000;
    const alarms = 400;
    await produce(stackRun.brokers, s.settings.metricsTopic, Array.from({ length: metrics }, (_, i) => sampleMetric(i).value));
    await produce(stackRun.brokers, s.settings.alarmsTopic, Array.from({ length: alarms }, (_, i) => sampleAlarm(i).value));
    const daemon = stackRun.start({ ...s.settings, numProcessors: 2, metricsBatchSize: 500, alarmsBatchSize: 50, maxWaitSeconds: 1, monitoring: { port: 0, inspector: true } });
    await s.waitForMetrics(metrics, 90_000);
    await s.waitForAlarms(alarms, 90_000);
    // Running once every pipeline has joined its group (the first may have read everything by then).
    await daemon.waitForLog((l) => l.msg === 'supervisor state' && l.state === 'running', 60_000);
    // The metrics of the main thread count what the threads did (their counters arrive every second).
    const url = String((await daemon.waitForLog((l) => l.msg === 'monitoring endpoint listening')).url);
    const want = [
      `monasca_persister_points_written_total{topic="${s.settings.metricsTopic}"} ${metrics}`,
      `monasca_persister_points_written_total{topic="${s.settings.alarmsTopic}"} ${alarms}`,
      `monasca_persister_offsets_committed_total{topic="${s.settings.metricsTopic}"} ${metrics}`,
      ...['0', '1', '2', '3'].map((p) => `monasca_persister_consumer_lag{topic="${s.settings.metricsTopic}",partition="${p}"} 0`),
      ...['metrics-0', 'metrics-1', 'alarms-0', 'alarms-1'].map((p) => `monasca_persister_pipeline_state{pipeline="${p}",state="running"} 1`),
    ];
    let text = '';
    for (let i = 0; i < 50 && !want.every((w) => text.includes(w)); i++) {
      await sleep(200);
      text = await (await fetch(`${url}/metrics`)).text();
    }
    for (const w of want) assert.ok(text.split('\n').includes(w), `${w} in /metrics`);
    // The live inspector sees the threads' actors: their writers, each on its own thread.
    const stream = await fetch(`${url}/inspector/events`);
    const reader = stream.body!.getReader();
    let first = '';
    while (!first.includes('\n\n')) first += new TextDecoder().decode((await reader.read()).value);
    void reader.cancel();
    const hello = JSON.parse(first.split('\ndata: ')[1].split('\n')[0]) as { actors: { name: string; machine?: string; thread: number }[] };
    const writers = hello.actors.filter((a) => a.machine === 'writer');
    assert.equal(writers.length, 4, `a writer per pipeline: ${JSON.stringify(hello.actors.map((a) => [a.name, a.thread]))}`);
    assert.equal(new Set(writers.map((w) => w.thread)).size, 4, 'each on its own thread');
    assert.ok(writers.every((w) => w.thread > 0));
    assert.ok(hello.actors.some((a) => a.machine === 'supervisor' && a.thread === 0));
    assert.equal((await daemon.stop()).code, 0, daemon.tail());

    const started = daemon.logs.find((l) => l.msg === 'started');
    assert.deepEqual(started?.pipelines, ['metrics-0', 'metrics-1', 'alarms-0', 'alarms-1']);
    assert.equal(started?.threads, true);
    const joined = new Map(daemon.logs.filter((l) => l.msg === 'joined consumer group').map((l) => [l.actor, l.thread]));
    assert.deepEqual([...joined.keys()].sort(), ['alarms-0', 'alarms-1', 'metrics-0', 'metrics-1'], 'each thread logs as its pipeline');
    const threadIds = [...joined.values()];
    assert.ok(threadIds.every((t) => typeof t === 'number' && t > 0), `worker threads, not the main one: ${threadIds}`);
    assert.equal(new Set(threadIds).size, 4, 'one thread per pipeline');
    assert.equal(await storedMetricPoints(stackRun.influxUrl, s.settings.database), metrics);
    assert.equal(await pointCount(stackRun.influxUrl, s.settings.database, 'alarm_state_history'), alarms);
    const final = daemon.logs.filter((l) => l.msg === 'final counts');
    const byTopic = Object.fromEntries(final.map((l) => [l.topic, l]));
    assert.equal(byTopic[s.settings.metricsTopic]?.stored, metrics, 'the threads’ counters reach the main thread');
    assert.equal(byTopic[s.settings.metricsTopic]?.committed, metrics);
    assert.equal(byTopic[s.settings.alarmsTopic]?.stored, alarms);
  });

  test('a writer failing in a thread is restarted: down, degraded, running again; every message stored', async () => {
    const s = await setup(2);
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(stackRun.influxUrl).port) });
    const total = 3_000;
    const values = Array.from({ length: total }, (_, i) => sampleMetric(i).value);
    const daemon = stackRun.start({
      ...s.settings,
      influxUrl: proxy.url,
      alarmsEnabled: false,
      numProcessors: 2,
      metricsBatchSize: 200,
      maxWaitSeconds: 1,
      supervisor: { write_attempts: 2, write_retry_initial_seconds: 0.2, restart_initial_delay_seconds: 0.5, restart_max_delay_seconds: 2, max_restarts: 50 },
    });
    try {
      await produce(stackRun.brokers, s.settings.metricsTopic, values.slice(0, 1000));
      await s.waitForMetrics(1000, 60_000);
      proxy.setMode('refuse');
      await produce(stackRun.brokers, s.settings.metricsTopic, values.slice(1000));
      await daemon.waitForLog((l) => l.msg === 'supervisor state' && l.state === 'degraded', 30_000);
      await sleep(3_000);
      proxy.setMode('pass');
      await s.waitForMetrics(total, 90_000);
      assert.equal((await daemon.stop()).code, 0, daemon.tail());
    } finally {
      await proxy.close();
    }
    const states = daemon.logs.filter((l) => l.msg === 'supervisor state').map((l) => l.state);
    const degraded = states.indexOf('degraded');
    assert.ok(degraded > 0 && states.slice(degraded).includes('running'), `degraded, then running again: ${JSON.stringify(states)}`);
    assert.ok(daemon.logs.some((l) => l.msg === 'restarting writer'), 'the writer was restarted in its thread');
    assert.equal(await storedMetricPoints(stackRun.influxUrl, s.settings.database), total);
  });

  test('a configuration fault in a thread (InfluxDB refusing the password): exit 78 at once; nothing committed', async () => {
    const { influxAuth } = await stack();
    const s = await setup(1);
    await produce(stackRun.brokers, s.settings.metricsTopic, Array.from({ length: 100 }, (_, i) => sampleMetric(i).value));
    const daemon = stackRun.start({
      ...s.settings,
      influxUrl: influxAuth.url,
      user: influxAuth.user,
      password: 'not-the-password',
      alarmsEnabled: false,
      metricsBatchSize: 50,
      maxWaitSeconds: 1,
      supervisor: { pipeline_threads: 'true' },
    });
    const exit = await Promise.race([daemon.exited, sleep(30_000).then(() => ({ code: -1 }))]);
    assert.equal(exit.code, 78, daemon.tail());
    assert.equal(daemon.logs.find((l) => l.msg === 'started')?.threads, true);
    const reason = String(daemon.logs.find((l) => l.msg === 'exiting')?.reason);
    assert.match(reason, /^metrics-0: configuration fault: InfluxDB answered 401/);
    assert.equal(await s.committed(), 0);
  });
});
