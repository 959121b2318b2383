/**
 * Converter micro-benchmark: `convertBatch` over in-memory Kafka message values, no process
 * start-up, no Kafka, no InfluxDB.
 *
 *   npm run bench:convert                       # both kinds
 *   node dist/bench/convert.js metrics          # one kind
 *   BENCH_SECONDS=3 BENCH_REPS=5 node dist/bench/convert.js
 *
 * Messages: metrics from bench/workload.ts (12,000 series, 5 to 7 dimensions, value_meta on 1 in
 * 10), alarms from test/helpers/messages.ts sampleAlarm; each as a Buffer, as kafkajs hands them.
 * Each repetition converts batches of 1,000 for BENCH_SECONDS; the median of BENCH_REPS is printed.
 * msgs/s is per wall-clock second; msgs per CPU s divides by the process's user + system CPU time
 * instead (GC helper threads included), which moves less when other processes share the cores.
 */
import { convertBatch, type MessageKind, type SourceBatch } from '../src/convert/index.js';
import { AlarmWorkload, MetricWorkload } from './workload.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const BATCH = 1000;
const MESSAGES = 48_000; // 48 batches; 4 rounds of the 12,000 metric series
const NOW_MS = 1_764_000_000_000; // fixed, so every run converts the same bytes

function batches(kind: MessageKind): { batches: SourceBatch[]; bytes: number } {
  const workload = kind === 'metrics' ? new MetricWorkload(MESSAGES, NOW_MS) : new AlarmWorkload(MESSAGES, NOW_MS);
  const out: SourceBatch[] = [];
  let bytes = 0;
  for (let b = 0; b < MESSAGES / BATCH; b++) {
    const messages = [];
    for (let j = 0; j < BATCH; j++) {
      const k = b * BATCH + j;
      const value = Buffer.from(workload.message(k), 'utf8');
      bytes += value.length;
      messages.push({ offset: String(k), value });
    }
    out.push({ partition: 0, messages });
  }
  return { batches: out, bytes };
}

const routing = { databaseName: 'mon', dbPerTenant: false };

/** Converts batches for about `seconds`; messages and seconds taken. */
function run(kind: MessageKind, all: SourceBatch[], seconds: number): { messages: number; seconds: number; cpuSeconds: number } {
  let messages = 0;
  let lines = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  for (let b = 0; now < until; b++) {
    const batch = all[b % all.length];
    const converted = convertBatch(kind, batch, routing);
    messages += converted.messageCount;
    for (const l of converted.lines.values()) lines += l.count;
    if (converted.drops.length) throw new Error(`unexpected drop: ${converted.drops[0].reason}`);
    if ((b & 3) === 3) now = process.hrtime.bigint();
  }
  now = process.hrtime.bigint();
  const used = process.cpuUsage(cpu);
  if (lines !== messages) throw new Error(`${messages} messages made ${lines} lines`);
  return { messages, seconds: Number(now - start) / 1e9, cpuSeconds: (used.user + used.system) / 1e6 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const kinds = (process.argv.slice(2).length ? process.argv.slice(2) : ['metrics', 'alarms']) as MessageKind[];
console.log(`node ${process.version}, ${REPS} repetitions of ${SECONDS} s, batches of ${BATCH}`);
console.log('| kind | msgs/s (median) | MB/s | min..max msgs/s | msgs per CPU s (median) | avg bytes/msg |');
console.log('|---|---|---|---|---|---|');
for (const kind of kinds) {
  const { batches: all, bytes } = batches(kind);
  const perMsg = bytes / MESSAGES;
  run(kind, all, Math.min(2, SECONDS)); // warm-up
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const { messages, seconds, cpuSeconds } = run(kind, all, SECONDS);
    rates.push(messages / seconds);
    cpuRates.push(messages / cpuSeconds);
  }
  const m = median(rates);
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(
    `| ${kind} | ${fmt(m)} | ${((m * perMsg) / 1e6).toFixed(1)} | ${fmt(Math.min(...rates))}..${fmt(Math.max(...rates))} | ${fmt(median(cpuRates))} | ${perMsg.toFixed(0)} |`,
  );
}
