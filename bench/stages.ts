/**
 * Where the CPU of draining a backlog goes: the same backlog drained by three stripped-down
 * pipelines, each in a fresh process that measures its own CPU from its first batch to its last:
 *
 *   consume  the project's Kafka consumer (src/kafka/consumer.ts) alone, each message's value read
 *   convert  consume, and every batch converted (convertBatch), nothing written
 *   write    convert, and the lines written to InfluxDB (PointStore) as the writer does: 20,000
 *            messages at a time (the default batch_size of metrics) in requests of 10,000 lines
 *
 * No actors, no commits, no logging: the difference between two stages is the cost of the step it
 * adds, and the difference between `write` and the daemon (`npm run bench`) the cost of the rest.
 *
 *   npm run bench:stages
 *   BENCH_KIND=alarms BENCH_MESSAGES=200000 npm run bench:stages
 *
 * Settings: BENCH_KIND, BENCH_MESSAGES (default 1,000,000 metrics / 200,000 alarms), BENCH_RUNS
 * (default 3; medians shown), BENCH_STACK_JSON as in bench/e2e.ts.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { type ConvertedBatch, convertBatch, type MessageKind } from '../src/convert/index.js';
import { InfluxHttp } from '../src/influx/client.js';
import { PointStore } from '../src/influx/store.js';
import { KafkaTopicConsumer } from '../src/kafka/consumer.js';
import { WriteBuffer } from '../src/write-buffer.js';
import { createTopic } from '../test/helpers/kafka.js';
import { type Stack, stack, uniqueName } from '../test/helpers/stack.js';
import { produceAll } from './produce.js';
import { AlarmWorkload, MetricWorkload } from './workload.js';

const STAGES = ['consume', 'convert', 'write'] as const;
type Stage = (typeof STAGES)[number];

const WRITE_EVERY = 20_000;
const LINES_PER_REQUEST = 10_000;
const PARTITIONS = 3;

interface StageRun {
  stage: Stage;
  messages: number;
  cpuSeconds: number;
  seconds: number;
}

/** In the child: drains `count` messages of the topic through the stage, and prints a StageRun. */
async function runStage(stage: Stage, kind: MessageKind, topic: string, count: number, s: Stack): Promise<void> {
  const log = pino({ level: 'warn' }, pino.destination(2));
  const consumer = new KafkaTopicConsumer({ brokers: s.kafka.brokers, clientId: 'stages', groupId: uniqueName('stages'), topic, log });
  const database = `bench_stages_${uniqueName('')}`;
  const http = new InfluxHttp({ url: s.influx.url });
  const store = new PointStore(http, { pointsPerRequest: LINES_PER_REQUEST, retentionHours: 0, log });
  const routing = { databaseName: database, dbPerTenant: false };
  let pending: ConvertedBatch[] = [];
  let pendingMessages = 0;
  let messages = 0;
  let bytes = 0;
  let cpu: NodeJS.CpuUsage | undefined;
  let start = 0n;
  const done = new Promise<StageRun>((resolve, reject) => {
    consumer.onCrash(reject);
    consumer
      .run(async (batch) => {
        if (cpu === undefined) {
          cpu = process.cpuUsage();
          start = process.hrtime.bigint();
        }
        messages += batch.messages.length;
        if (stage === 'consume') for (const m of batch.messages) bytes += m.value?.length ?? 0;
        else {
          const converted = convertBatch(kind, batch, routing);
          if (stage === 'write') {
            pending.push(converted);
            pendingMessages += converted.messageCount;
            if (pendingMessages >= WRITE_EVERY || messages >= count) {
              await store.store(new WriteBuffer(pending).lines);
              pending = [];
              pendingMessages = 0;
            }
          }
        }
        if (messages >= count) {
          const used = process.cpuUsage(cpu);
          resolve({ stage, messages, cpuSeconds: (used.user + used.system) / 1e6, seconds: Number(process.hrtime.bigint() - start) / 1e9 });
        }
      })
      .catch(reject);
  });
  const run = await done;
  process.stdout.write(`${JSON.stringify(run)}\n`);
  if (stage === 'write') await http.query(`DROP DATABASE "${database}"`);
  process.exit(0);
}

/** Runs a stage in a fresh process; its StageRun. */
function child(stage: Stage, kind: MessageKind, topic: string, count: number, s: Stack): Promise<StageRun> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, STAGES_STACK: JSON.stringify(s) };
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), stage, kind, topic, String(count)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as StageRun) : reject(new Error(`stage ${stage} exited ${code}`))));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const [stage, kindArg, topicArg, countArg] = process.argv.slice(2);
  if (stage !== undefined) {
    await runStage(stage as Stage, kindArg as MessageKind, topicArg, Number(countArg), JSON.parse(process.env.STAGES_STACK ?? '{}') as Stack);
    return;
  }
  const kind: MessageKind = process.env.BENCH_KIND === 'alarms' ? 'alarms' : 'metrics';
  const count = Number(process.env.BENCH_MESSAGES ?? (kind === 'metrics' ? 1_000_000 : 200_000));
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const stackFile = process.env.BENCH_STACK_JSON;
  const s = stackFile ? (JSON.parse(readFileSync(stackFile, 'utf8')) as Stack) : await stack();
  const topic = `bench-stages-${kind}-${uniqueName('')}`;
  await createTopic(s.kafka.brokers, topic, PARTITIONS);
  const workload = kind === 'metrics' ? new MetricWorkload(count, Date.now()) : new AlarmWorkload(count);
  await produceAll(s.kafka.brokers, topic, workload, count, PARTITIONS);
  const results: StageRun[] = [];
  for (let r = 1; r <= runs; r++) {
    for (const st of STAGES) {
      const run = await child(st, kind, topic, count, s);
      results.push(run);
      process.stderr.write(`run ${r} ${st}: ${((run.cpuSeconds * 1e6) / run.messages).toFixed(2)} CPU s per 1M, ${Math.round(run.messages / run.seconds)} msgs/s\n`);
    }
  }
  console.log(`\n${count.toLocaleString('en-US')} ${kind}, ${PARTITIONS} partitions, node ${process.version}, medians of ${runs} runs\n`);
  console.log('| stage | CPU s per 1M msgs | added by the stage | msgs/s |');
  console.log('|---|---|---|---|');
  let before = 0;
  for (const st of STAGES) {
    const mine = results.filter((r) => r.stage === st);
    const cpu = median(mine.map((r) => (r.cpuSeconds * 1e6) / r.messages));
    const rate = median(mine.map((r) => r.messages / r.seconds));
    console.log(`| ${st} | ${cpu.toFixed(2)} | ${before ? `+${(cpu - before).toFixed(2)}` : ''} | ${Math.round(rate).toLocaleString('en-US')} |`);
    before = cpu;
  }
}

await main();
