/**
 * The consumer actor alone, under a parent that records what it reports, on XState's
 * SimulatedClock with a fake Kafka: pause, resume, backpressure, heartbeats, drain, contact rate.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { type AnyEventObject, createActor, sendTo, setup, SimulatedClock, waitFor } from 'xstate';
import { consumerMachine, HEARTBEAT_EVERY_MS } from '../../actors/consumer.js';
import type { ConsumerEvent } from '../../actors/events.js';
import { TopicStats } from '../../src/observe/stats.js';
import { FakeKafka, type Journal } from '../helpers/fakes.js';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function harness(maxInFlight = 100) {
  const clock = new SimulatedClock();
  const journal: Journal = [];
  const kafka = new FakeKafka(journal);
  const reports: AnyEventObject[] = [];
  const stats = new TopicStats('metrics');
  const parent = setup({ actors: { consumer: consumerMachine } }).createMachine({
    invoke: {
      id: 'consumer',
      src: 'consumer',
      input: { connect: () => kafka, maxInFlight, contactEveryMs: 1_000, log: pino({ level: 'silent' }), stats },
    },
    on: {
      TELL: { actions: sendTo('consumer', ({ event }) => (event as unknown as { command: ConsumerEvent }).command) },
      '*': { actions: ({ event }) => reports.push(event) },
    },
  });
  const actor = createActor(parent, { clock }).start();
  const consumer = () => actor.getSnapshot().children.consumer!;
  return {
    clock,
    journal,
    kafka,
    stats,
    /** Types of what the consumer reported, in order. */
    reported: () => reports.map((e) => e.type),
    tell: (command: ConsumerEvent) => actor.send({ type: 'TELL', command } as AnyEventObject),
    flow: () => (consumer().getSnapshot().value as { active?: { flow?: unknown } }).active?.flow ?? consumer().getSnapshot().value,
    consumer,
    async advance(ms: number) {
      for (let t = 0; t < ms; t += 100) {
        await settle();
        clock.increment(100);
      }
      await settle();
    },
    async joined() {
      await settle();
      kafka.emit('joined');
      await waitFor(consumer(), (s) => s.matches({ active: { flow: { consuming: 'fetching' } } }), { timeout: 1_000 });
    },
  };
}

describe('the consumer machine', () => {
  test('joining, then fetching: each fetched batch is handed on at once', async () => {
    const h = harness();
    assert.deepEqual(h.flow(), { consuming: 'joining' });
    await h.joined();
    h.kafka.deliver(0, 0, 10);
    await settle();
    assert.deepEqual(h.reported(), ['CONSUMER_READY', 'BATCH_FETCHED']);
    assert.equal(h.consumer().getSnapshot().context.inFlight, 10);
  });

  test('PAUSE: kafkajs paused, a fetched batch waits with a heartbeat every second; RESUME: it is handed on', async () => {
    const h = harness();
    await h.joined();
    h.tell({ type: 'PAUSE' });
    assert.deepEqual(h.flow(), { consuming: 'paused' });
    assert.deepEqual(h.journal, ['pause']);
    h.kafka.deliver(0, 0, 10);
    await h.advance(HEARTBEAT_EVERY_MS * 3);
    assert.deepEqual(h.reported(), ['CONSUMER_READY'], 'nothing handed on while paused');
    assert.equal(h.kafka.heartbeats, 3, 'one heartbeat per simulated second');
    h.tell({ type: 'RESUME' });
    await settle();
    assert.deepEqual(h.flow(), { consuming: 'fetching' });
    assert.deepEqual(h.journal, ['pause', 'resume']);
    assert.deepEqual(h.reported(), ['CONSUMER_READY', 'BATCH_FETCHED']);
  });

  test('backlogged: at maxInFlight unstored messages fetching waits; a stored batch is committed and lets the next on', async () => {
    const h = harness(10);
    await h.joined();
    h.kafka.deliver(0, 0, 10);
    await settle();
    assert.deepEqual(h.flow(), { consuming: 'backlogged' });
    h.kafka.deliver(1, 0, 5);
    await h.advance(HEARTBEAT_EVERY_MS);
    assert.equal(h.reported().filter((t) => t === 'BATCH_FETCHED').length, 1, 'the second batch waits');
    assert.equal(h.kafka.heartbeats, 1);
    h.tell({ type: 'BATCH_STORED', offsets: [{ partition: 0, offset: '10' }], messageCount: 10 });
    await settle();
    assert.deepEqual(h.kafka.commits, [[{ partition: 0, offset: '10' }]]);
    assert.equal(h.stats.committed, 10);
    assert.equal(h.reported().filter((t) => t === 'BATCH_FETCHED').length, 2, 'then handed on');
    assert.deepEqual(h.flow(), { consuming: 'fetching' });
  });

  test('STOP_FETCHING: draining until every handed-on message is stored and committed, then drained; DISCONNECT: stopped', async () => {
    const h = harness();
    await h.joined();
    h.kafka.deliver(0, 0, 10);
    await settle();
    h.tell({ type: 'STOP_FETCHING' });
    assert.equal(h.flow(), 'draining');
    h.kafka.deliver(0, 10, 5); // fetched after the stop: never handed on
    await settle();
    assert.equal(h.reported().filter((t) => t === 'BATCH_FETCHED').length, 1);
    h.tell({ type: 'BATCH_STORED', offsets: [{ partition: 0, offset: '10' }], messageCount: 10 });
    await waitFor(h.consumer(), (s) => s.matches({ active: { flow: 'drained' } }), { timeout: 1_000 });
    assert.deepEqual(h.reported().slice(-1), ['CONSUMER_DRAINED']);
    assert.deepEqual(h.journal, ['pause', 'commit 0:10'], 'the commit is done before it reports drained');
    h.tell({ type: 'DISCONNECT' });
    const done = await waitFor(h.consumer(), (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(done.value, 'stopped');
    assert.deepEqual(h.journal, ['pause', 'commit 0:10', 'disconnect']);
  });

  test('a rejoin while paused pauses kafkajs again (a rejoin forgets what was paused)', async () => {
    const h = harness();
    await h.joined();
    h.tell({ type: 'PAUSE' });
    h.kafka.emit('joined');
    await settle();
    assert.deepEqual(h.journal, ['pause', 'pause']);
    assert.deepEqual(h.flow(), { consuming: 'paused' });
  });

  test('KAFKA_CONTACT at most once per contactEveryMs, on the simulated clock', async () => {
    const h = harness();
    await h.joined();
    for (let i = 0; i < 5; i++) h.kafka.emit('contact');
    await settle();
    assert.equal(h.reported().filter((t) => t === 'KAFKA_CONTACT').length, 1);
    await h.advance(900);
    h.kafka.emit('contact');
    assert.equal(h.reported().filter((t) => t === 'KAFKA_CONTACT').length, 1, 'not within the second');
    await h.advance(100);
    h.kafka.emit('contact');
    await settle();
    assert.equal(h.reported().filter((t) => t === 'KAFKA_CONTACT').length, 2);
  });

  test('the Kafka client giving up ends it in failed, with the error as its output', async () => {
    const h = harness();
    await h.joined();
    const error = new Error('gave up');
    h.kafka.fail(error);
    const done = await waitFor(h.consumer(), (s) => s.status === 'done', { timeout: 1_000 });
    assert.equal(done.value, 'failed');
    assert.equal(done.output?.error, error);
  });
});
