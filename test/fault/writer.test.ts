/** The writer actor alone, under a parent, on a simulated clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createActor, fromPromise, sendTo, setup, SimulatedClock, waitFor } from 'xstate';
import { InfluxError, InfluxErrorCode } from '../../src/influx/errors.js';
import { type SourceBatch, convertBatch } from '../../src/convert/index.js';
import { TopicStats } from '../../src/observe/stats.js';
import { type StoreInput, type WriteResult, writerMachine, type WriterInput, type WriterOutput } from '../../actors/writer.js';
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
  const carryOver = [batchOf(0, 0, 4)];
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

test('while flushing, a write to an InfluxDB that cannot be reached is not retried: the writer fails at once with every batch it holds (store swapped with .provide())', async () => {
  let calls = 0;
  const failing = writerMachine.provide({
    actors: {
      storeBatch: fromPromise<WriteResult, StoreInput>(async () => {
        calls++;
        throw new InfluxError(InfluxErrorCode.UNREACHABLE, 'InfluxDB unreachable: ECONNREFUSED');
      }),
    },
  });
  const input: WriterInput = {
    store: { store: () => Promise.reject(new Error('not used: the store actor is provided')) },
    batchSize: 100,
    maxWaitMs: 30_000,
    retry: { attempts: 5, initialMs: 100, maxMs: 100 },
    carryOver: [batchOf(0, 0, 4)],
    log: pino({ level: 'silent' }),
    stats: new TopicStats('metrics'),
  };
  let output: WriterOutput | undefined;
  const parent = setup({ actors: { writer: failing } }).createMachine({
    invoke: { id: 'writer', src: 'writer', input, onDone: { actions: ({ event }) => (output = event.output) } },
    entry: sendTo('writer', { type: 'FLUSH' }),
  });
  const actor = createActor(parent, { clock: new SimulatedClock() }).start();
  await waitFor(actor, () => output !== undefined, { timeout: 1_000 });
  assert.equal(calls, 1, 'no retry while flushing');
  assert.equal((output!.error as InfluxError).code, InfluxErrorCode.UNREACHABLE);
  assert.equal(output!.unstored.length, 1);
  assert.equal(output!.unstored[0].messageCount, 4);
});
