/**
 * Failures on the real Kafka and InfluxDB: InfluxDB cut off or answering 500 (through a
 * fault-injecting proxy), the Kafka broker stopped, the daemon killed, one of two daemons of a group
 * killed. Each scenario reports messages produced, points stored and the recovery time.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import type { Daemon } from '../helpers/daemon.js';
import { createTopic, produce } from '../helpers/kafka.js';
import { sampleMetric } from '../helpers/messages.js';
import { ROOT } from '../helpers/paths.js';
import { FaultProxy } from '../helpers/proxy.js';
import { committedCount, onTheStack, storedMetricPoints, waitForCommitted } from '../helpers/scenario.js';
import { uniqueName } from '../helpers/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stackSh = (...args: string[]) => promisify(execFile)('bash', [join(ROOT, 'test', 'helpers', 'stack.sh'), ...args]);

const stackRun = onTheStack();

async function setup(partitions: number) {
  const id = uniqueName('f');
  const metricsTopic = `metrics-${id}`;
  await createTopic(stackRun.brokers, metricsTopic, partitions);
  const s = { brokers: stackRun.brokers, influxUrl: stackRun.influxUrl, metricsTopic, alarmsTopic: `alarms-${id}`, group: id, database: `mon_${id}`, alarmsEnabled: false };
  return {
    ...s,
    committed: () => committedCount(s.brokers, `${id}_metrics`, metricsTopic),
    waitForCommitted: (atLeast: number, timeoutMs: number, daemon?: Daemon) => waitForCommitted(s.brokers, `${id}_metrics`, metricsTopic, atLeast, timeoutMs, daemon),
    stored: () => storedMetricPoints(s.influxUrl, s.database),
  };
}

function report(t: TestContext, figures: Record<string, number | string>): void {
  t.diagnostic(Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' '));
}

const FAST_SUPERVISION = {
  write_attempts: 3,
  write_retry_initial_seconds: 0.2,
  write_retry_max_seconds: 1,
  restart_initial_delay_seconds: 0.5,
  restart_max_delay_seconds: 4,
  max_restarts: 50,
};

describe('failures on the real stack', { timeout: 600_000 }, () => {
  test('InfluxDB unreachable for 30 s mid-stream: writers restarted, consumer paused, afterwards every message stored once', async (t) => {
    const s = await setup(3);
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(stackRun.influxUrl).port) });
    t.after(() => proxy.close());
    const total = 15_000;
    const values = Array.from({ length: total }, (_, i) => sampleMetric(i).value);
    const daemon = stackRun.start({ ...s, influxUrl: proxy.url, metricsBatchSize: 500, maxWaitSeconds: 1, supervisor: FAST_SUPERVISION });
    const producing = produce(stackRun.brokers, s.metricsTopic, values, { chunk: 250, pauseMs: 100 });
    await s.waitForCommitted(1000, 60_000);
    proxy.setMode('refuse');
    const cutAt = Date.now();
    const committedAtCut = await s.committed();
    await sleep(30_000);
    const committedDuringCut = (await s.committed()) - committedAtCut;
    proxy.setMode('pass');
    const restoredAt = Date.now();
    await producing;
    await s.waitForCommitted(total, 120_000);
    const recoveryMs = Date.now() - restoredAt;
    assert.equal((await daemon.stop()).code, 0, daemon.tail());
    const stored = await s.stored();
    report(t, { produced: total, stored, outageMs: restoredAt - cutAt, recoveryMs, committedDuringOutage: committedDuringCut });
    assert.equal(stored, total, 'every message is one point');
    assert.ok(committedDuringCut <= 1000, `at most the batch in flight at the cut is committed during the outage (${committedDuringCut})`);
    assert.ok(daemon.logs.some((l) => l.msg === 'restarting writer'), 'the writer was restarted');
    assert.ok(daemon.logs.some((l) => l.msg === 'supervisor state' && l.state === 'degraded'), 'the supervisor was degraded');
  });

  test('InfluxDB answering 500 for a while: retried, then every message stored', async (t) => {
    const s = await setup(3);
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(stackRun.influxUrl).port) });
    t.after(() => proxy.close());
    const total = 5_000;
    await produce(stackRun.brokers, s.metricsTopic, Array.from({ length: total }, (_, i) => sampleMetric(i).value));
    proxy.setMode('http500');
    const daemon = stackRun.start({ ...s, influxUrl: proxy.url, metricsBatchSize: 1000, maxWaitSeconds: 1, supervisor: FAST_SUPERVISION });
    await daemon.waitForLog((l) => l.msg === 'InfluxDB write failed' && /500/.test(String(l.err)), 30_000);
    await sleep(8_000);
    proxy.setMode('pass');
    const restoredAt = Date.now();
    await s.waitForCommitted(total, 60_000);
    const recoveryMs = Date.now() - restoredAt;
    assert.equal((await daemon.stop()).code, 0);
    const stored = await s.stored();
    report(t, { produced: total, stored, recoveryMs, failedWrites: daemon.logs.filter((l) => l.msg === 'InfluxDB write failed').length });
    assert.equal(stored, total);
  });

  test('the Kafka broker stopped: exit 69 within grace + 10 s; broker and daemon restarted: nothing lost', async (t) => {
    const s = await setup(3);
    const total = 10_000;
    const values = Array.from({ length: total }, (_, i) => sampleMetric(i).value);
    await produce(stackRun.brokers, s.metricsTopic, values.slice(0, 4000));
    const graceSeconds = 10;
    const settings = { ...s, metricsBatchSize: 500, maxWaitSeconds: 1, supervisor: { kafka_loss_grace_seconds: graceSeconds } };
    const daemon = stackRun.start(settings);
    await s.waitForCommitted(4000, 60_000);
    await stackSh('kafka-stop');
    const stoppedAt = Date.now();
    try {
      const exit = await Promise.race([daemon.exited, sleep((graceSeconds + 10) * 1000).then(() => ({ code: -1 }))]);
      const exitAfterMs = Date.now() - stoppedAt;
      assert.equal(exit.code, 69, `exit status (after ${exitAfterMs} ms)\n${daemon.tail()}`);
      report(t, { exitStatus: exit.code ?? -1, exitAfterMs, graceMs: graceSeconds * 1000 });
    } finally {
      await stackSh('up');
    }
    const restartedAt = Date.now();
    await produce(stackRun.brokers, s.metricsTopic, values.slice(4000));
    // With the default grace: joining waits for the killed member's session (30 s) to end first.
    const second = stackRun.start({ ...settings, supervisor: {} });
    await s.waitForCommitted(total, 120_000, second);
    const recoveryMs = Date.now() - restartedAt;
    assert.equal((await second.stop()).code, 0);
    const stored = await s.stored();
    report(t, { produced: total, stored, recoveryMs });
    assert.equal(stored, total);
  });

  test('kill -9 of the daemon mid-batch: a restarted daemon stores everything', async (t) => {
    const s = await setup(3);
    const total = 20_000;
    const producing = produce(stackRun.brokers, s.metricsTopic, Array.from({ length: total }, (_, i) => sampleMetric(i).value), { chunk: 500, pauseMs: 50 });
    const settings = { ...s, metricsBatchSize: 2000, maxWaitSeconds: 1 };
    const first = stackRun.start(settings);
    await s.waitForCommitted(2000, 60_000);
    await first.stop('SIGKILL');
    const committedAtKill = await s.committed();
    await producing;
    const restartedAt = Date.now();
    const second = stackRun.start(settings);
    await s.waitForCommitted(total, 120_000);
    const recoveryMs = Date.now() - restartedAt;
    assert.equal((await second.stop()).code, 0);
    const stored = await s.stored();
    report(t, { produced: total, stored, committedAtKill, recoveryMs });
    assert.equal(stored, total);
  });

  test('two daemons in one group on 6 partitions, one killed mid-stream: the other takes its partitions over, nothing lost', async (t) => {
    const s = await setup(6);
    const total = 30_000;
    const producing = produce(stackRun.brokers, s.metricsTopic, Array.from({ length: total }, (_, i) => sampleMetric(i).value), { chunk: 500, pauseMs: 100 });
    const settings = { ...s, metricsBatchSize: 1000, maxWaitSeconds: 1 };
    const a = stackRun.start(settings);
    const b = stackRun.start(settings);
    await a.waitForLog((l) => l.msg === 'joined consumer group' && Array.isArray(l.partitions) && l.partitions.length === 3, 60_000);
    await s.waitForCommitted(3000, 60_000);
    await b.stop('SIGKILL');
    const killedAt = Date.now();
    await producing;
    await s.waitForCommitted(total, 120_000);
    const takeoverMs = Date.now() - killedAt;
    assert.ok(
      a.logs.some((l) => l.msg === 'joined consumer group' && Array.isArray(l.partitions) && l.partitions.length === 6),
      'the survivor took all 6 partitions',
    );
    assert.equal((await a.stop()).code, 0);
    const stored = await s.stored();
    report(t, { produced: total, stored, takeoverMs });
    assert.equal(stored, total);
  });

  test('a second signal during a stop that cannot finish (InfluxDB hanging) exits at once with 130, committing nothing', async (t) => {
    const s = await setup(1);
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(stackRun.influxUrl).port) });
    t.after(() => proxy.close());
    proxy.setMode('blackhole');
    await produce(stackRun.brokers, s.metricsTopic, Array.from({ length: 100 }, (_, i) => sampleMetric(i).value));
    const daemon = stackRun.start({ ...s, influxUrl: proxy.url, metricsBatchSize: 10, maxWaitSeconds: 1, supervisor: FAST_SUPERVISION });
    await daemon.waitForLog((l) => l.msg === 'joined consumer group', 60_000);
    await sleep(2_000); // a write is on its way and never answered
    daemon.child.kill('SIGTERM');
    await sleep(1_000);
    assert.equal(daemon.child.exitCode, null, 'the first signal waits for the write in flight');
    const second = Date.now();
    daemon.child.kill('SIGTERM');
    const exit = await daemon.exited;
    report(t, { exitStatus: exit.code ?? -1, exitAfterSecondSignalMs: Date.now() - second });
    assert.equal(exit.code, 130);
    assert.equal(await s.committed(), 0);
  });

  test('SIGTERM while InfluxDB refuses connections: nothing can be stored, so the stop ends at once with 75, committing nothing', async (t) => {
    const s = await setup(1);
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(stackRun.influxUrl).port) });
    t.after(() => proxy.close());
    proxy.setMode('refuse');
    await produce(stackRun.brokers, s.metricsTopic, Array.from({ length: 100 }, (_, i) => sampleMetric(i).value));
    const daemon = stackRun.start({ ...s, influxUrl: proxy.url, metricsBatchSize: 10, maxWaitSeconds: 1, supervisor: FAST_SUPERVISION });
    await daemon.waitForLog((l) => l.msg === 'InfluxDB write failed', 30_000);
    const signalled = Date.now();
    daemon.child.kill('SIGTERM');
    const exit = await daemon.exited;
    const exitAfterMs = Date.now() - signalled;
    report(t, { exitStatus: exit.code ?? -1, exitAfterMs });
    assert.equal(exit.code, 75, daemon.tail());
    assert.ok(exitAfterMs < 5_000, `exited ${exitAfterMs} ms after SIGTERM`);
    assert.equal(await s.committed(), 0);
  });
});
