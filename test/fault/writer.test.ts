/** The writer actor alone, under a parent, on a simulated clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createActor, fromPromise, sendTo, setup, SimulatedClock, waitFor } from 'xstate';
import { InfluxError, InfluxErrorCode } from '../../src/influx/errors.js';
import { type SourceBatch, convertBatch } from '../../src/convert/index.js';
import { TopicStats } from '../../src/observe/stats.js';
import { type StoreInput, type WriteResult, writerMachine, type WriterInput, type WriterOutput } from '../../actors/writer.js';
import type { BatchStored } from '../../actors/events.js';
import { type DeadLetter, DeadLetterOffice } from '../../src/dead-letter.js';
import { Fault, FaultError } from '../../src/ports/faults.js';
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

test('with dead letters: a batch is reported stored only once its letters are acknowledged; a failed post is tried again without writing the lines again', async () => {
  const journal: Journal = [];
  const store = new FakeStore(journal);
  let failPosts = 2;
  const port = {
    sent: [] as DeadLetter[][],
    async send(letters: readonly DeadLetter[]) {
      journal.push(`post ${letters.length}`);
      if (failPosts-- > 0) throw new FaultError(Fault.TRANSIENT, 'dead-letter topic dl cannot be written: NOT_ENOUGH_REPLICAS');
      this.sent.push([...letters]);
    },
    async close() {},
  };
  const source: SourceBatch = {
    partition: 1,
    messages: [
      { offset: '7', value: Buffer.from(JSON.stringify({ metric: { name: 'm', timestamp: 7, value: 1 }, meta: { tenantId: 't', region: 'r' } })) },
      { offset: '8', value: Buffer.from('{broken'), key: Buffer.from('k8') },
    ],
  };
  const input: WriterInput = {
    store,
    batchSize: 100,
    maxWaitMs: 30_000,
    retry: { attempts: 5, initialMs: 100, maxMs: 100 },
    carryOver: [convertBatch('metrics', source, { databaseName: 'mon', dbPerTenant: false }, true)],
    deadLetters: new DeadLetterOffice(port, 'metrics', '9.9.9'),
    log: pino({ level: 'silent' }),
    stats: new TopicStats('metrics'),
  };
  const stored: BatchStored[] = [];
  const parent = setup({ actors: { writer: writerMachine } }).createMachine({
    invoke: { id: 'writer', src: 'writer', input },
    on: { BATCH_STORED: { actions: ({ event }) => stored.push(event as BatchStored) } },
  });
  const clock = new SimulatedClock();
  createActor(parent, { clock }).start();
  await settle();
  assert.deepEqual(journal, ['store 1', 'post 1'], 'the lines stored, the post failed');
  assert.equal(stored.length, 0, 'not reported stored: nothing committed');
  clock.increment(100);
  await settle();
  assert.equal(stored.length, 0);
  clock.increment(100);
  await settle();
  assert.deepEqual(journal, ['store 1', 'post 1', 'post 1', 'post 1'], 'posted again, never written again');
  assert.deepEqual(stored.map((s) => s.offsets), [[{ partition: 1, offset: '9' }]]);
  assert.deepEqual(port.sent.map((l) => l.map((x) => [x.key?.toString(), x.headers.reason, x.headers.source_offset])), [[['k8', 'not_json', '8']]]);
  assert.equal(input.stats.deadLettered, 1);
});
