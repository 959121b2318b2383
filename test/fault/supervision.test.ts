/**
 * The supervisor, its pipelines and their actors on XState's SimulatedClock, with fake Kafka and
 * InfluxDB adapters: every delay is driven by the test, none is slept.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { type Actor, createActor, SimulatedClock } from 'xstate';
import type { PipelineInput } from '../../actors/pipeline.js';
import { ESCALATION_FLUSH_MS, type SupervisionSettings, supervisorMachine } from '../../actors/supervisor.js';
import { ExitCode } from '../../src/exit-codes.js';
import { TopicStats } from '../../src/observe/stats.js';
import { FakeKafka, FakeStore, type Journal } from '../helpers/fakes.js';

const silent = pino({ level: 'silent' });

const SETTINGS: SupervisionSettings = {
  restartInitialMs: 1_000,
  restartMaxMs: 8_000,
  healthyAfterMs: 30_000,
  maxRestarts: 3,
  restartPeriodMs: 600_000,
  kafkaLossGraceMs: 60_000,
  stopTimeoutMs: 20_000,
};

class Harness {
  readonly clock = new SimulatedClock();
  readonly journal: Journal = [];
  readonly kafka = new FakeKafka(this.journal);
  readonly store = new FakeStore(this.journal);
  readonly actor: Actor<typeof supervisorMachine>;

  constructor(settings: Partial<SupervisionSettings> = {}, pipeline: Partial<PipelineInput> = {}) {
    const input: PipelineInput = {
      id: 'metrics-0',
      kind: 'metrics',
      routing: { databaseName: 'mon', dbPerTenant: false },
      connect: () => this.kafka,
      store: this.store,
      batchSize: 10,
      maxWaitMs: 5_000,
      writeRetry: { attempts: 3, initialMs: 100, maxMs: 1_000 },
      contactEveryMs: 0,
      log: silent,
      stats: new TopicStats('metrics'),
      random: () => 0, // no jitter: delays are exactly initial * 2^(n-1)
      ...pipeline,
    };
    this.actor = createActor(supervisorMachine, {
      clock: this.clock,
      input: { pipelines: [input], settings: { ...SETTINGS, ...settings }, log: silent, random: () => 0 },
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
    await settle();
    this.kafka.emit('joined');
    this.kafka.emit('contact');
    await settle();
  }

  state(): unknown {
    return this.actor.getSnapshot().value;
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
    const h = new Harness({ maxRestarts: 10 }, { writeRetry: { attempts: 1, initialMs: 100, maxMs: 100 } });
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

  test('more than max_restarts restarts within the period: stop and exit 75, with nothing unstored committed', async () => {
    const h = new Harness({ maxRestarts: 2 }, { writeRetry: { attempts: 1, initialMs: 100, maxMs: 100 } });
    await h.join();
    h.kafka.deliver(0, 0, 10); // stored and committed
    await settle();
    h.store.failing = true;
    h.kafka.deliver(0, 10, 10);
    await h.advance(1_000 + 2_000 + 100);
    assert.equal(h.store.calls, 4, 'the first write, the failed one and two restarts');
    assert.deepEqual(h.state(), { stopping: 'draining' }, 'the third failure escalates');
    await h.advance(ESCALATION_FLUSH_MS);
    const snapshot = h.actor.getSnapshot();
    assert.equal(snapshot.status, 'done');
    assert.equal(snapshot.output?.exitCode, ExitCode.INFLUX_FAILED);
    assert.match(snapshot.output!.reason, /writer failed after 2 restarts/);
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '10' }]], 'only what was stored');
  });

  test('restarts older than the period no longer count', async () => {
    const h = new Harness({ maxRestarts: 2, restartPeriodMs: 10_000 }, { writeRetry: { attempts: 1, initialMs: 100, maxMs: 100 } });
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
    const h = new Harness({ maxRestarts: 10 }, { writeRetry: { attempts: 1, initialMs: 100, maxMs: 100 } });
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
    await h.advance(SETTINGS.healthyAfterMs);
    h.store.failing = true;
    h.kafka.deliver(0, 10, 10);
    await h.advance(10);
    const calls = h.store.calls;
    // The failure happened 10 ms ago: the restart is due 1,000 ms after it.
    assert.equal(await h.storeCallsAt(980), calls, 'not before the initial delay');
    assert.equal(await h.storeCallsAt(20), calls + 1, 'restarted after the initial 1,000 ms, not 8,000');
  });
});

describe('backpressure and commits', () => {
  test('while the writer is down the consumer is paused; after the restart every held message is stored, then committed', async () => {
    const h = new Harness({}, { writeRetry: { attempts: 1, initialMs: 100, maxMs: 100 } });
    await h.join();
    h.store.failing = true;
    h.kafka.deliver(0, 0, 10);
    await settle();
    assert.equal(h.kafka.paused, true);
    assert.deepEqual(h.kafka.commits, []);
    const stats = h.actor.getSnapshot().context.pipelines[0].stats;
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
    const h = new Harness({}, { maxWaitMs: 120_000 });
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

  test('a stop that cannot finish (InfluxDB down) ends after stop_timeout_seconds with nothing unstored committed', async () => {
    const h = new Harness({}, { writeRetry: { attempts: 1, initialMs: 100, maxMs: 100 } });
    await h.join();
    h.kafka.deliver(0, 0, 10);
    await settle();
    h.store.failing = true;
    h.kafka.deliver(0, 10, 4);
    h.actor.send({ type: 'STOP' });
    await h.advance(SETTINGS.stopTimeoutMs - 100, 50);
    assert.notEqual(h.actor.getSnapshot().status, 'done');
    await h.advance(100);
    assert.equal(h.actor.getSnapshot().output?.exitCode, ExitCode.INFLUX_FAILED);
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '10' }]], 'only what was stored');
  });

  test('a stop while a writer waits for its restart restarts it at once; when InfluxDB is back everything is stored and the exit is 0', async () => {
    const h = new Harness({ restartInitialMs: 50_000, restartMaxMs: 50_000 }, { writeRetry: { attempts: 1, initialMs: 100, maxMs: 100 } });
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

  test('the Kafka client giving up: exit 69', async () => {
    const h = new Harness();
    await h.join();
    const error = new Error('Connection error: connect ECONNREFUSED');
    error.name = 'KafkaJSNumberOfRetriesExceeded';
    h.kafka.fail(error);
    await h.advance(100);
    assert.equal(h.actor.getSnapshot().output?.exitCode, ExitCode.KAFKA_UNAVAILABLE);
  });
});
