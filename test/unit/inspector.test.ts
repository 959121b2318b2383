/** The live inspector's recording and streaming (src/observe/inspector.ts), on small real actors. */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { assign, createActor, fromPromise, setup } from 'xstate';
import { EVENTS_PER_UPDATE, InspectionRecorder, InspectorHub, summarize } from '../../src/observe/inspector.js';

const counter = setup({
  types: { context: {} as { n: number; password: string; items: number[]; config: object; note: string } },
  actors: { job: fromPromise(async () => 1) },
}).createMachine({
  id: 'counter',
  context: { n: 0, password: 'secret', items: [1, 2, 3], config: { a: 1 }, note: 'x'.repeat(200) },
  initial: 'idle',
  states: {
    idle: { on: { TICK: { actions: assign({ n: ({ context }) => context.n + 1 }) }, RUN: 'running' } },
    running: { invoke: { src: 'job', onDone: 'idle' } },
  },
});

test('summaries keep numbers, flags and short texts, count lists, and drop secrets and objects', () => {
  const s = summarize({ n: 1, ok: true, topic: 't', saslPassword: 'p', password: 'p', list: [1, 2], one: [1], obj: { x: 1 }, batch: { messageCount: 7 }, long: 'y'.repeat(100) });
  assert.deepEqual(s, { n: 1, ok: true, topic: 't', list: '2 items', one: '1 item', batch: '7 messages', long: `${'y'.repeat(80)}...` });
});

test('the recorder: state values and summaries of what changed; events sampled; ended actors sent once, then forgotten', async () => {
  const recorder = new InspectionRecorder(3);
  const actor = createActor(counter, { inspect: (e) => recorder.handle(e) }).start();
  let batch = recorder.take();
  const view = batch.actors.find((a) => a.machine === 'counter');
  assert.equal(view?.value, 'idle');
  assert.equal(view?.thread, 3);
  assert.deepEqual(view?.summary, { n: 0, items: '3 items', note: `${'x'.repeat(80)}...` });
  assert.deepEqual(batch.events, [], 'no events recorded while nobody watches');

  recorder.watching = true;
  for (let i = 0; i < 100; i++) actor.send({ type: 'TICK' });
  batch = recorder.take();
  assert.equal(batch.events.length, EVENTS_PER_UPDATE);
  assert.equal(batch.dropped, 100 - EVENTS_PER_UPDATE);
  assert.equal(batch.events[0].type, 'TICK');
  assert.equal(batch.actors.find((a) => a.machine === 'counter')?.summary.n, 100);

  actor.send({ type: 'RUN' });
  await new Promise((r) => setTimeout(r, 10));
  batch = recorder.take();
  const job = batch.actors.find((a) => a.name.includes('running'));
  assert.equal(job?.status, 'done', 'the invoked promise, ended');
  assert.equal(job?.parent, view?.key);
  const kept = (recorder as unknown as { refs: Map<string, { id: string }> }).refs;
  assert.deepEqual([...kept.values()].map((r) => r.id), [actor.id], 'the ended actor is forgotten after; the machine is kept');
  actor.stop();
});

test('the hub: a page gets the machines and the actors at once, then updates', async () => {
  const recorder = new InspectionRecorder(0);
  const hub = new InspectorHub(recorder);
  const actor = createActor(counter, { inspect: (e) => recorder.handle(e) }).start();
  const written: string[] = [];
  const page = { writeHead() {}, write: (s: string) => written.push(s), on() {}, end() {} } as unknown as ServerResponse;
  hub.attach(page);
  assert.equal(recorder.watching, true);
  const hello = JSON.parse(written[0].split('\ndata: ')[1]) as { machines: Record<string, unknown>; actors: { machine?: string }[] };
  assert.deepEqual(Object.keys(hello.machines).sort(), ['consumer', 'converter', 'pipeline', 'supervisor', 'writer']);
  assert.ok(hello.actors.some((a) => a.machine === 'counter'));
  hub.add({ actors: [{ key: '7:x:1', name: 'writer', machine: 'writer', value: 'failed', status: 'active', summary: {}, thread: 7 }], events: [], dropped: 0 });
  actor.send({ type: 'TICK' });
  await new Promise((r) => setTimeout(r, 400));
  const update = written.slice(1).map((w) => JSON.parse(w.split('\ndata: ')[1]) as { actors: { key: string }[]; events: { type: string }[] });
  assert.ok(update.some((u) => u.actors.some((a) => a.key === '7:x:1')), 'a thread’s actors');
  assert.ok(update.some((u) => u.events.some((e) => e.type === 'TICK')), 'events');
  hub.close();
  actor.stop();
});
