/**
 * The supervisor, its pipelines and their actors on XState's SimulatedClock, with fake Kafka and
 * InfluxDB adapters: every delay is driven by the test, none is slept.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { type Actor, createActor, SimulatedClock, type SnapshotFrom, waitFor } from 'xstate';
import { classifyHttpError, InfluxError, InfluxErrorCode } from '../../src/influx/errors.js';
import { Fault, FaultError } from '../../src/ports/faults.js';
import { type pipelineMachine, type PipelineInput, type RestartPolicy } from '../../actors/pipeline.js';
import type { WriterSettings } from '../../actors/writer.js';
import { ESCALATION_FLUSH_MS, type SupervisionSettings, supervisorMachine } from '../../actors/supervisor.js';
import { ExitCode } from '../../src/exit-codes.js';
import { TopicStats } from '../../src/observe/stats.js';
import { DropLog } from '../../src/observe/drop-log.js';
import { FakeKafka, FakeStore, type Journal } from '../helpers/fakes.js';

const silent = pino({ level: 'silent' });

const SETTINGS: SupervisionSettings = {
  maxRestarts: 3,
  restartPeriodMs: 600_000,
  kafkaLossGraceMs: 60_000,
  stopTimeoutMs: 20_000,
};

const RESTART: RestartPolicy = { initialMs: 1_000, maxMs: 8_000, healthyAfterMs: 30_000 };

interface PipelineOptions {
  writer?: Partial<WriterSettings>;
  restart?: Partial<RestartPolicy>;
}

class Harness {
  readonly clock = new SimulatedClock();
  readonly journal: Journal = [];
  readonly kafka = new FakeKafka(this.journal);
  readonly store = new FakeStore(this.journal);
  readonly actor: Actor<typeof supervisorMachine>;
  readonly stats = new TopicStats('metrics');

  constructor(settings: Partial<SupervisionSettings> = {}, pipeline: PipelineOptions = {}) {
    const input: PipelineInput = {
      id: 'metrics-0',
      topic: 'metrics',
      consumer: { connect: () => this.kafka, maxInFlight: 2_000, contactEveryMs: 1_000 },
      converter: { kind: 'metrics', routing: { databaseName: 'mon', dbPerTenant: false }, drops: new DropLog(silent) },
      writer: { store: this.store, batchSize: 10, maxWaitMs: 5_000, retry: { attempts: 3, initialMs: 100, maxMs: 1_000 }, ...pipeline.writer },
      restart: { ...RESTART, ...pipeline.restart },
      log: silent,
      stats: this.stats,
      random: () => 0, // no jitter: delays are exactly initial * 2^(n-1)
    };
    this.actor = createActor(supervisorMachine, {
      clock: this.clock,
      input: { pipelines: [input], settings: { ...SETTINGS, ...settings }, log: silent },
    });
    this.actor.start();
  }

  /** Advances the simulated clock in small steps, letting promises settle between them. */
  async advance(ms: number, step = 10): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      await settle();
      this.clock.increment(Math.min(step, ms - t));
    }
    await settle();
  }

  /** The consumer joins its group and a broker answers. */
  async join(): Promise<void> {
    await waitFor(this.actor, () => this.kafka.handler !== undefined, { timeout: 1_000 }); // run() was called
    this.kafka.emit('joined');
    this.kafka.emit('contact');
    await waitFor(this.actor, (s) => s.matches('running'), { timeout: 1_000 });
  }

  state(): unknown {
    return this.actor.getSnapshot().value;
  }

  /** The pipeline's snapshot (it runs in this thread). */
  pipeline(): SnapshotFrom<typeof pipelineMachine> {
    return this.actor.getSnapshot().children['metrics-0']!.getSnapshot() as SnapshotFrom<typeof pipelineMachine>;
  }

  /** The state value of the pipeline's writer lifecycle. */
  writer(): unknown {
    return (this.pipeline().value as { active?: { writer?: unknown } }).active?.writer;
  }

  storeCallsAt(ms: number) {
    return this.advance(ms).then(() => this.store.calls);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('writer failures: backoff, restarts, escalation', () => {
  test('a write is retried after the configured delays, then the writer fails and is restarted after the restart delay', async () => {
    const h = new Harness();
    await h.join();
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10); // a full batch: written at once
    await settle();
    assert.equal(h.store.calls, 1);
    assert.equal(await h.storeCallsAt(99), 1, 'second attempt not before 100 ms');
    assert.equal(await h.storeCallsAt(1), 2, 'second attempt at 100 ms');
    assert.equal(await h.storeCallsAt(199), 2, 'third attempt not before 200 ms more');
    assert.equal(await h.storeCallsAt(1), 3, 'third attempt at 200 ms');
    // Three attempts failed: the writer fails; the consumer is paused; the supervisor is degraded.
    assert.equal(h.state(), 'degraded');
    assert.equal(h.kafka.paused, true);
    assert.equal(await h.storeCallsAt(999), 3, 'no restart before restart_initial_delay');
    assert.equal(await h.storeCallsAt(1), 4, 'restarted at 1,000 ms, writing the failed batch first');
    assert.equal(h.state(), 'running');
    assert.equal(h.kafka.paused, false, 'consumer resumed');
    assert.deepEqual(h.kafka.commits, [], 'nothing committed while nothing is stored');
  });

  test('each further failure doubles the restart delay, up to its maximum', async () => {
    const h = new Harness({ maxRestarts: 10 }, { writer: { retry: { attempts: 1, initialMs: 100, maxMs: 100 } } });
    await h.join();
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const before = h.store.calls;
      let waited = 0;
      while (h.store.calls === before && waited < 60_000) {
        await h.advance(10);
        waited += 10;
      }
      delays.push(waited);
    }
    // 47 s in all, longer than healthy_after: a writer that never stored anything is not healthy.
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000, 8_000]);
  });

  test('more than max_restarts restarts within the period: the writer is not restarted again; exit 75 at once, with nothing unstored committed', async () => {
    const h = new Harness({ maxRestarts: 2 }, { writer: { retry: { attempts: 1, initialMs: 100, maxMs: 100 } } });
    await h.join();
    h.kafka.deliver(0, 0, 10); // stored and committed
    await settle();
    h.store.failing = true;
    h.kafka.deliver(0, 10, 10);
    await h.advance(1_000 + 2_000);
    // The third failure escalates; the pipeline's only writer is halted, so nothing is left to flush.
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(h.store.calls, 4, 'the first write, the failed one and two restarts, no more');
    assert.equal(snapshot.status, 'done');
    assert.equal(snapshot.output?.exitCode, ExitCode.INFLUX_FAILED);
    assert.match(snapshot.output!.reason, /writer failed after 2 restarts/);
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '10' }]], 'only what was stored');
  });

  test('restarts older than the period no longer count', async () => {
    const h = new Harness({ maxRestarts: 2, restartPeriodMs: 10_000 }, { writer: { retry: { attempts: 1, initialMs: 100, maxMs: 100 } } });
    await h.join();
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10);
    await h.advance(1_000); // restart 1 fails at once
    assert.equal(h.store.calls, 2);
    h.store.failing = false;
    await h.advance(2_000); // restart 2 succeeds: two restarts within the period, the maximum
    assert.equal(h.store.calls, 3);
    assert.equal(h.state(), 'running');
    await h.advance(10_000); // both restarts leave the window
    h.store.failing = true;
    h.kafka.deliver(0, 10, 10);
    await h.advance(100);
    assert.equal(h.state(), 'degraded', 'a failure now is restarted again, not escalated');
  });

  test('a writer that stays healthy for healthy_after_seconds is restarted after the initial delay again', async () => {
    const h = new Harness({ maxRestarts: 10 }, { writer: { retry: { attempts: 1, initialMs: 100, maxMs: 100 } } });
    await h.join();
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10);
    await h.advance(1_000); // restart 1 (delay 1,000): fails
    await h.advance(2_000); // restart 2 (delay 2,000)
    assert.equal(h.store.calls, 3);
    h.store.failing = false;
    await h.advance(4_000); // restart 3 (delay 4,000) succeeds
    assert.equal(h.store.calls, 4);
    assert.equal(h.state(), 'running');
    await h.advance(RESTART.healthyAfterMs);
    h.store.failing = true;
    h.kafka.deliver(0, 10, 10);
    await h.advance(10);
    const calls = h.store.calls;
    // The failure happened 10 ms ago: the restart is due 1,000 ms after it.
    assert.equal(await h.storeCallsAt(980), calls, 'not before the initial delay');
    assert.equal(await h.storeCallsAt(20), calls + 1, 'restarted after the initial 1,000 ms, not 8,000');
  });
});

describe('the writer lifecycle, as the pipeline’s states', () => {
  test('up -> down (waiting for its restart) -> recovering.unproven -> recovering.proving -> up', async () => {
    const h = new Harness({}, { writer: { retry: { attempts: 1, initialMs: 100, maxMs: 100 } } });
    const pipeline = () => h.pipeline();
    await h.join();
    assert.equal(h.writer(), 'up');
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10);
    await settle();
    assert.equal(h.writer(), 'down');
    await h.advance(1_000); // restarted; its first write fails again
    assert.equal(h.writer(), 'down', 'failed again: down, now for 2,000 ms');
    assert.equal(pipeline().context.failures, 2);
    await h.advance(1_990);
    assert.equal(h.writer(), 'down');
    h.store.failing = false;
    h.store.hanging = true;
    await h.advance(10);
    assert.deepEqual(h.writer(), { recovering: 'unproven' }, 'restarted, its first write not answered yet');
    h.store.answer();
    await settle();
    assert.deepEqual(h.writer(), { recovering: 'proving' }, 'stored the held batch: proving');
    await h.advance(RESTART.healthyAfterMs - 10);
    assert.deepEqual(h.writer(), { recovering: 'proving' });
    await h.advance(10);
    assert.equal(h.writer(), 'up', 'healthy again');
    assert.equal(pipeline().context.failures, 0, 'the backoff starts again from its initial delay');
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '10' }]]);
  });
});

describe('configuration faults fail fast', () => {
  test('InfluxDB refusing the credentials: no retry, no restart; exit 78 at once with what to fix; nothing committed', async () => {
    const h = new Harness({}, { writer: { retry: { attempts: 5, initialMs: 100, maxMs: 100 } } });
    await h.join();
    h.store.failing = true;
    h.store.error = classifyHttpError(401, 'authorization failed');
    h.kafka.deliver(0, 0, 10);
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(h.clock.now(), 0, 'no simulated time passed');
    assert.equal(h.store.calls, 1, 'one attempt: no retry, no restart');
    assert.equal(snapshot.value, 'failed');
    assert.equal(snapshot.output?.exitCode, ExitCode.CONFIG);
    assert.match(snapshot.output!.reason, /^metrics-0: configuration fault: InfluxDB answered 401: authorization failed: check \[influxdb\] user and password/);
    assert.deepEqual(h.kafka.commits, []);
    await settle();
    assert.deepEqual(h.journal, ['store failed 10', 'pause', 'disconnect'], 'the consumer leaves without committing');
  });

  test('an InfluxDB certificate that fails verification: exit 78 at once', async () => {
    const h = new Harness();
    await h.join();
    h.store.failing = true;
    h.store.error = new InfluxError(InfluxErrorCode.TLS_REJECTED, 'InfluxDB at https://127.0.0.1:8086: its TLS certificate failed verification (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate)');
    h.kafka.deliver(0, 0, 10);
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(h.store.calls, 1);
    assert.equal(snapshot.output?.exitCode, ExitCode.CONFIG);
    assert.match(snapshot.output!.reason, /DEPTH_ZERO_SELF_SIGNED_CERT/);
  });

  test('a configuration fault while stopping: exit 78, not 75', async () => {
    const h = new Harness();
    await h.join();
    h.kafka.deliver(0, 0, 4); // a partial batch: written by the stop
    await settle();
    h.store.failing = true;
    h.store.error = classifyHttpError(403, '"mon" user is not authorized to write to database "mon"');
    h.actor.send({ type: 'STOP' });
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(snapshot.output?.exitCode, ExitCode.CONFIG);
  });
});

describe('a stop during a fault ends promptly', () => {
  test('SIGTERM while the writer backs off: the retry happens at once; InfluxDB still refusing connections: exit 75 with no time passed', async () => {
    const h = new Harness({}, { writer: { retry: { attempts: 5, initialMs: 10_000, maxMs: 10_000 } } });
    await h.join();
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10);
    await settle();
    assert.equal(h.store.calls, 1, 'backing off for 10 s');
    h.actor.send({ type: 'STOP' });
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(h.clock.now(), 0);
    assert.equal(h.store.calls, 2, 'one attempt when the stop came, then no more');
    assert.equal(snapshot.output?.exitCode, ExitCode.INFLUX_FAILED);
    assert.deepEqual(h.kafka.commits, []);
  });

  test('SIGTERM while the writer backs off, InfluxDB back: stored, committed, exit 0 with no time passed', async () => {
    const h = new Harness({}, { writer: { retry: { attempts: 5, initialMs: 10_000, maxMs: 10_000 } } });
    await h.join();
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10);
    await settle();
    h.store.failing = false;
    h.actor.send({ type: 'STOP' });
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(h.clock.now(), 0);
    assert.deepEqual(snapshot.output, { exitCode: ExitCode.OK, reason: 'stopped' });
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '10' }]]);
  });
});

describe('a stop while InfluxDB answers errors', () => {
  test('5xx during a stop are retried as usual: stored once InfluxDB answers, exit 0', async () => {
    const h = new Harness({}, { writer: { retry: { attempts: 5, initialMs: 100, maxMs: 100 } } });
    await h.join();
    h.kafka.deliver(0, 0, 4);
    await settle();
    h.store.failing = true;
    h.store.error = classifyHttpError(503, 'request throttled');
    h.actor.send({ type: 'STOP' });
    await h.advance(150);
    assert.equal(h.store.calls, 2, 'the flush, and a retry after 100 ms');
    h.store.failing = false;
    await h.advance(100);
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.deepEqual(snapshot.output, { exitCode: ExitCode.OK, reason: 'stopped' });
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '4' }]]);
  });
});

describe('backpressure and commits', () => {
  test('while the writer is down the consumer is paused; after the restart every held message is stored, then committed', async () => {
    const h = new Harness({}, { writer: { retry: { attempts: 1, initialMs: 100, maxMs: 100 } } });
    await h.join();
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10);
    await settle();
    assert.equal(h.kafka.paused, true);
    assert.deepEqual(h.kafka.commits, []);
    const stats = h.stats;
    h.kafka.deliver(1, 0, 5); // fetched while paused: the consumer holds it back
    await settle();
    assert.equal(stats.fetched, 10, 'nothing more handed on while the writer is down');
    h.store.failing = false;
    await h.advance(1_000);
    assert.equal(h.store.stored, 10, 'the new writer writes the failed batch first');
    await h.advance(5_000); // the 5 held back, handed on after the resume: a partial batch
    assert.equal(h.store.stored, 15);
    assert.deepEqual(h.journal, ['store failed 10', 'pause', 'store 10', 'resume', 'commit 0:10', 'store 5', 'commit 1:5']);
  });
});

describe('Kafka loss', () => {
  test('no broker answering for kafka_loss_grace_seconds: flush what can be flushed, exit 69', async () => {
    const h = new Harness({}, { writer: { maxWaitMs: 120_000 } });
    await h.join();
    h.kafka.deliver(0, 0, 3); // a partial batch, not due before the grace period ends
    await h.advance(SETTINGS.kafkaLossGraceMs - 100);
    assert.equal(h.state(), 'running', 'not before the grace period');
    assert.deepEqual(h.journal, []);
    await h.advance(100);
    assert.deepEqual(h.journal, ['pause', 'store 3', 'commit 0:3', 'disconnect'], 'the partial batch is flushed by the escalation');
    await h.advance(ESCALATION_FLUSH_MS);
    const snapshot = h.actor.getSnapshot();
    assert.equal(snapshot.status, 'done');
    assert.equal(snapshot.output?.exitCode, ExitCode.KAFKA_UNAVAILABLE);
    assert.match(snapshot.output!.reason, /no Kafka broker/);
  });

  test('brokers that keep answering (one of several down) are not Kafka loss', async () => {
    const h = new Harness();
    await h.join();
    for (let i = 0; i < 10; i++) {
      await h.advance(SETTINGS.kafkaLossGraceMs / 2, 100);
      h.kafka.emit('contact');
    }
    assert.equal(h.state(), 'running');
  });

  test('Kafka never reached at start: exit 69 after the grace period', async () => {
    const h = new Harness();
    await h.advance(SETTINGS.kafkaLossGraceMs, 100);
    await h.advance(ESCALATION_FLUSH_MS, 100);
    assert.equal(h.actor.getSnapshot().output?.exitCode, ExitCode.KAFKA_UNAVAILABLE);
  });
});

describe('graceful stop', () => {
  test('STOP: stop fetching, write the partial batch, commit it, then leave the group; exit 0', async () => {
    const h = new Harness();
    await h.join();
    h.kafka.deliver(0, 0, 4);
    await settle();
    assert.equal(h.store.calls, 0, 'a partial batch waits');
    h.actor.send({ type: 'STOP' });
    await h.advance(100);
    assert.deepEqual(h.journal, ['pause', 'store 4', 'commit 0:4', 'disconnect']);
    const snapshot = h.actor.getSnapshot();
    assert.equal(snapshot.status, 'done');
    assert.deepEqual(snapshot.output, { exitCode: ExitCode.OK, reason: 'stopped' });
  });

  test('a stop while InfluxDB refuses connections: one attempt, then exit 75 at once, with nothing unstored committed', async () => {
    const h = new Harness({}, { writer: { retry: { attempts: 5, initialMs: 100, maxMs: 100 } } });
    await h.join();
    h.kafka.deliver(0, 0, 10);
    await settle();
    h.store.failing = true;
    h.kafka.deliver(0, 10, 4);
    h.actor.send({ type: 'STOP' });
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(h.clock.now(), 0, 'no simulated time passed: no retry, no stop timeout');
    assert.equal(snapshot.output?.exitCode, ExitCode.INFLUX_FAILED);
    assert.match(snapshot.output!.reason, /the writer failed and was not restarted; 4 messages not stored/);
    assert.deepEqual(h.journal, ['store 10', 'commit 0:10', 'pause', 'store failed 4', 'disconnect'], 'stop fetching, one attempt, leave the group');
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '10' }]], 'only what was stored');
  });

  test('a stop that cannot finish (InfluxDB hanging) ends after stop_timeout_seconds with nothing unstored committed', async () => {
    const h = new Harness();
    await h.join();
    h.kafka.deliver(0, 0, 10);
    await settle();
    h.store.hanging = true;
    h.kafka.deliver(0, 10, 4);
    h.actor.send({ type: 'STOP' });
    await h.advance(SETTINGS.stopTimeoutMs - 100, 50);
    assert.notEqual(h.actor.getSnapshot().status, 'done');
    await h.advance(100);
    assert.equal(h.actor.getSnapshot().output?.exitCode, ExitCode.INFLUX_FAILED);
    assert.match(h.actor.getSnapshot().output!.reason, /stop not finished within 20000 ms/);
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '10' }]], 'only what was stored');
  });

  test('a stop while a writer waits for its restart restarts it at once; when InfluxDB is back everything is stored and the exit is 0', async () => {
    const h = new Harness({}, { writer: { retry: { attempts: 1, initialMs: 100, maxMs: 100 } }, restart: { initialMs: 50_000, maxMs: 50_000 } });
    await h.join();
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10); // fails: the writer is down, its restart due in 50 s
    await h.advance(100);
    assert.equal(h.state(), 'degraded');
    h.store.failing = false;
    h.actor.send({ type: 'STOP' });
    await h.advance(1_000); // long before the 50 s: restarted, stored, committed
    const snapshot = h.actor.getSnapshot();
    assert.equal(snapshot.status, 'done');
    assert.deepEqual(snapshot.output, { exitCode: ExitCode.OK, reason: 'stopped' });
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '10' }]]);
  });

  test('the Kafka client giving up (the adapter says: Kafka lost): exit 69', async () => {
    const h = new Harness();
    await h.join();
    h.kafka.fail(new FaultError(Fault.KAFKA_LOST, 'Kafka client for topic metrics gave up: connect ECONNREFUSED'));
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(snapshot.output?.exitCode, ExitCode.KAFKA_UNAVAILABLE);
    assert.match(snapshot.output!.reason, /metrics-0: Kafka client for topic metrics gave up/);
  });

  test('an error no adapter classified is a bug: exit 70', async () => {
    const h = new Harness();
    await h.join();
    h.kafka.fail(new TypeError('cannot read properties of undefined'));
    const snapshot = await waitFor(h.actor, (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(snapshot.output?.exitCode, ExitCode.SOFTWARE);
  });
});
