/** The writer actor alone, under a parent, on a simulated clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createActor, sendTo, setup, SimulatedClock } from 'xstate';
import { type SourceBatch, PendingBatch, convertBatch } from '../../src/convert/index.js';
import { TopicStats } from '../../src/observe/stats.js';
import { writerMachine, type WriterInput } from '../../actors/writer.js';
import { FakeStore, type Journal } from '../helpers/fakes.js';

function batchOf(partition: number, first: number, count: number) {
  const source: SourceBatch = {
    partition,
    messages: Array.from({ length: count }, (_, i) => ({
      offset: String(first + i),
      value: Buffer.from(JSON.stringify({ metric: { name: 'm', timestamp: first + i, value: 1 }, meta: { tenantId: 't', region: 'r' } })),
    })),
  };
  return convertBatch('metrics', source, { databaseName: 'mon', dbPerTenant: false });
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

test('a writer started with a failed one’s batches during a stop writes them, and every later batch, at once', async () => {
  const journal: Journal = [];
  const store = new FakeStore(journal);
  const carryOver = new PendingBatch();
  carryOver.add(batchOf(0, 0, 4));
  const input: WriterInput = {
    store,
    batchSize: 100,
    maxWaitMs: 30_000,
    retry: { attempts: 1, initialMs: 100, maxMs: 100 },
    carryOver,
    log: pino({ level: 'silent' }),
    stats: new TopicStats('metrics'),
  };
  const stored: unknown[] = [];
  const parent = setup({ actors: { writer: writerMachine } }).createMachine({
    invoke: { id: 'writer', src: 'writer', input },
    entry: sendTo('writer', { type: 'FLUSH' }), // the pipeline is stopping
    on: {
      BATCH_STORED: { actions: ({ event }) => stored.push(event) },
      LATE_BATCH: { actions: sendTo('writer', () => ({ type: 'BATCH_CONVERTED', batch: batchOf(0, 4, 3) })) },
    },
  });
  const clock = new SimulatedClock();
  const actor = createActor(parent, { clock }).start();
  await settle();
  assert.deepEqual(journal, ['store 4'], 'the carried-over batch first, without waiting');
  actor.send({ type: 'LATE_BATCH' });
  await settle();
  assert.deepEqual(journal, ['store 4', 'store 3'], 'a partial batch during a stop is written without waiting max_wait');
  assert.equal(stored.length, 2);
});
