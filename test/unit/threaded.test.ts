/**
 * The supervisor with pipelines on worker threads (actors/threaded.ts), each thread a small script
 * in place of src/pipeline-worker.ts: reports and counters cross, an end with a classified error
 * keeps its exit status, a pipeline that crashes or a thread that dies exits 70, and a thread still
 * running when the supervisor ends is told to stop (its consumer leaves the group) before it ends.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createActor, toPromise, waitFor } from 'xstate';
import { supervisorMachine } from '../../actors/supervisor.js';
import type { ThreadedPipelineInput } from '../../actors/threaded.js';
import type { PersisterConfig } from '../../src/config/index.js';
import { ExitCode } from '../../src/exit-codes.js';
import { NO_COUNTS, TopicStats } from '../../src/observe/stats.js';

const dir = mkdtempSync(join(tmpdir(), 'threaded-'));
const silent = pino({ level: 'silent' });
const ZERO = JSON.stringify(NO_COUNTS);

/** A thread module: `body` runs with `id` (the pipeline), `post` and `on(type, fn)` for commands. */
function script(name: string, body: string): URL {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `import { parentPort, workerData } from 'node:worker_threads';
const id = workerData.place.kind + '-' + workerData.place.index;
const post = (m) => parentPort.postMessage(m);
const report = (type, extra = {}) => post({ kind: 'report', event: { type, pipeline: id, ...extra } });
const stats = (delta, partitions = [], writes = []) => post({ kind: 'stats', delta: { ...${ZERO}, ...delta }, partitions, writes });
const handlers = {};
const on = (type, fn) => { handlers[type] = fn; };
parentPort.on('message', (m) => handlers[m.type]?.(m));
${body}
`,
  );
  return pathToFileURL(file);
}

function run(entries: URL[], stats = new TopicStats('metrics')) {
  const pipelines: ThreadedPipelineInput[] = entries.map((entry, index) => ({
    id: `metrics-${index}`,
    topic: 'metrics',
    place: { kind: 'metrics', index },
    config: {} as PersisterConfig,
    log: {},
    stats,
    entry,
  }));
  const actor = createActor(supervisorMachine, {
    input: { pipelines, threads: true, settings: { maxRestarts: 3, restartPeriodMs: 600_000, kafkaLossGraceMs: 60_000, stopTimeoutMs: 5_000 }, log: silent },
  });
  actor.start();
  return { actor, stats, output: toPromise(actor) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('reports and counters cross the thread (counts, partitions, writes); a stop drains, disconnects and exits 0', async () => {
  const entry = script(
    'normal',
    `report('PIPELINE_READY');
stats({ fetched: 5, stored: 5, writes: 1 }, [[0, { highWatermark: '12', committed: '3' }]], [{ seconds: 0.25, messages: 5 }]);
on('STOP', () => { stats({ committed: 5 }, [[0, { highWatermark: '12', committed: '8' }]]); report('PIPELINE_DRAINED'); });
on('DISCONNECT', () => { post({ kind: 'done' }); });`,
  );
  const mainStats = new TopicStats('metrics');
  const writes: unknown[] = [];
  mainStats.onWrite((topic, write) => writes.push({ topic, ...write }));
  const { actor, stats, output } = run([entry], mainStats);
  await waitFor(actor, (s) => s.matches('running'), { timeout: 5_000 }); // PIPELINE_READY reached the supervisor
  actor.send({ type: 'STOP' });
  assert.deepEqual(await output, { exitCode: ExitCode.OK, reason: 'stopped' });
  assert.deepEqual([stats.fetched, stats.stored, stats.committed, stats.writes], [5, 5, 5, 1]);
  assert.deepEqual(writes, [{ topic: 'metrics', seconds: 0.25, messages: 5 }], 'each write is told once on this side');
  assert.deepEqual(stats.lag(), [{ partition: 0, messages: 4 }], 'the latest partition offsets');
});

test('an end with a classified error keeps its exit status (Kafka lost: 69)', async () => {
  const entry = script('kafka-lost', `report('PIPELINE_READY'); post({ kind: 'done', error: { name: 'FaultError', message: 'no broker answered', fault: 'kafka-lost' } });`);
  const out = await run([entry]).output;
  assert.equal(out.exitCode, ExitCode.KAFKA_UNAVAILABLE);
  assert.match(out.reason, /^metrics-0: no broker answered/);
});

test('a pipeline that crashes in its thread exits 70, even with a classified error', async () => {
  const entry = script('crash', `report('PIPELINE_READY'); post({ kind: 'done', crashed: true, error: { name: 'FaultError', message: 'boom', fault: 'transient' } });`);
  const out = await run([entry]).output;
  assert.equal(out.exitCode, ExitCode.SOFTWARE);
  assert.match(out.reason, /boom/);
});

test('a thread that dies without reporting its end exits 70', async () => {
  const entry = script('dies', `report('PIPELINE_READY'); setTimeout(() => process.exit(3), 50);`);
  const out = await run([entry]).output;
  assert.equal(out.exitCode, ExitCode.SOFTWARE);
  assert.match(out.reason, /exit code 3/);
});

test('a thread still running when the supervisor ends is told to stop, and sends its last counters', async () => {
  const crash = script('crash-other', `report('PIPELINE_READY'); setTimeout(() => post({ kind: 'done', crashed: true, error: { name: 'Error', message: 'boom' } }), 100);`);
  const healthy = script(
    'healthy',
    `report('PIPELINE_READY');
on('ABORT', () => { stats({ committed: 7 }); parentPort.close(); });`,
  );
  const { stats, output } = run([crash, healthy]);
  assert.equal((await output).exitCode, ExitCode.SOFTWARE);
  for (let i = 0; i < 40 && stats.committed !== 7; i++) await sleep(50);
  assert.equal(stats.committed, 7, 'ABORT reached the other thread, and its counters came back');
});
