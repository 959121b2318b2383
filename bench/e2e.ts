/**
 * End-to-end benchmark: this persister against the reference (monasca-persister 9.0.0, Python) on
 * the same pre-produced messages and the same configuration file, alternately, BENCH_RUNS times.
 * Each run gets a new consumer group and a new database and reads the whole topic from the start;
 * it is timed from the start of the process until every message is stored and its offset
 * committed. The whole process tree is measured (bench/proctree.ts): the reference does its work in
 * a child process.
 *
 *   npm run bench                                   # metrics, 1,000,000 messages, 3 runs each
 *   BENCH_KIND=alarms npm run bench                 # alarm state transitions, 200,000 messages
 *   BENCH_MESSAGES=200000 BENCH_RUNS=1 npm run bench
 *
 * Environment:
 *   BENCH_KIND           metrics (default) | alarms
 *   BENCH_MESSAGES       messages measured (default 1,000,000 metrics / 200,000 alarms); batch_size
 *                        x partitions more are produced behind them (see PADDING)
 *   BENCH_RUNS           runs of each contender (default 3)
 *   BENCH_PARTITIONS     partitions of the topic (default 3)
 *   BENCH_PROCESSORS     num_processors of both persisters (default 1): this one runs that many
 *                        pipelines, each on a worker thread; the reference that many processes
 *   BENCH_SERIES         distinct metric series (default 12,000)
 *   REFERENCE_PERSISTER  path of the reference's `monasca-persister`; default: bench/reference.sh
 *                        installs it (once) and says where; BENCH_REFERENCE=false leaves it out
 *   BENCH_CEILING        false leaves out the ceiling (line protocol written straight to InfluxDB)
 *   BENCH_INFLUX_GZIP    true: [influxdb] gzip = true
 *   BENCH_INSPECTOR      true: also runs this persister with the live inspector on and a page's
 *                        event stream open, alternately with it off (results: <date>-<kind>-inspector.json)
 *   BENCH_DEAD_LETTER    true: also runs this persister with [dead_letter] enabled, alternately with
 *                        it off (results: <date>-<kind>-dead-letter.json)
 *   BENCH_STACK_JSON     a stack.json of a stack already running (default: bring up this
 *                        checkout's test/helpers/stack.sh)
 *
 * Results: bench/results/<date>-<kind>.json, its chart <date>-<kind>.svg, and latest.svg, the chart
 * of the newest metrics and alarms results there (bench/chart.ts; `npm run bench:chart` redraws it).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { convertBatch, type LineBlock, linesIn, type MessageKind } from '../src/convert/index.js';
import { InfluxHttp } from '../src/influx/client.js';
import { Daemon, writeConfig } from '../test/helpers/daemon.js';
import { createTopic } from '../test/helpers/kafka.js';
import { ROOT } from '../test/helpers/paths.js';
import { type Stack, stack, uniqueName } from '../test/helpers/stack.js';
import { chartSvg, writeLatest } from './chart.js';
import { benchKafka, produceAll } from './produce.js';
import { processTree, type TreeFigures, TreeMeter } from './proctree.js';
import { AlarmWorkload, MetricWorkload, type Workload } from './workload.js';

const KIND: MessageKind = process.env.BENCH_KIND === 'alarms' ? 'alarms' : 'metrics';
const BATCH_SIZE = KIND === 'metrics' ? 20_000 : 1000; // metrics: the reference's default; alarms: as the issue measured
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? (KIND === 'metrics' ? 1_000_000 : 200_000));
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const PROCESSORS = Number(process.env.BENCH_PROCESSORS ?? 1);
/**
 * Messages produced after the measured ones. A run ends when MESSAGES are committed; the padding
 * behind them keeps batches filling, so neither persister ends on a partial last batch, which each
 * writes only after a timer (this one max_wait_time_seconds after the batch's first message; the
 * reference once its 5 s poll comes back empty and max_wait_time_seconds have passed since its last
 * commit): the figures are of steady work, not of those timers.
 */
const PADDING = BATCH_SIZE * PARTITIONS;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SERIES = Number(process.env.BENCH_SERIES ?? 12_000);
const GZIP = process.env.BENCH_INFLUX_GZIP === 'true';
const WITH_REFERENCE = process.env.BENCH_REFERENCE !== 'false';
const WITH_CEILING = process.env.BENCH_CEILING !== 'false';
/** A variant of this persister run alternately with the plain one, and what its rows are called. */
const VARIANTS = { inspector: 'inspector open', 'dead-letter': 'dead letters on' } as const;
type Variant = keyof typeof VARIANTS;
const VARIANT: Variant | undefined =
  process.env.BENCH_INSPECTOR === 'true' ? 'inspector' : process.env.BENCH_DEAD_LETTER === 'true' ? 'dead-letter' : undefined;
const INFLUX_BATCH = 10_000; // [influxdb] batch_size, the default of both persisters
const POLL_MS = 200;

const log = (text: string) => process.stderr.write(text);
const MiB = (n: number) => n.toFixed(0);

async function loadStack(): Promise<Stack> {
  const file = process.env.BENCH_STACK_JSON;
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as Stack) : stack();
}

/** Points stored in a database: per measurement, the count of its most counted field. */
async function storedPoints(influx: InfluxHttp, database: string): Promise<number> {
  const results = await influx.query('SELECT count(*) FROM /.*/', database);
  let total = 0;
  for (const s of results[0]?.series ?? []) {
    const counts = (s.values[0] ?? []).slice(1).map(Number);
    total += Math.max(0, ...counts);
  }
  return total;
}

interface PersisterRun {
  contender: Contender;
  run: number;
  seconds: number;
  msgsPerSecond: number;
  cpuSeconds: number;
  cpuSecondsPerMillion: number;
  peakRssMiB: number;
  peakPssMiB: number;
  maxProcesses: number;
  storedPoints: number;
}

/**
 * `inspector`: this persister with `[monitoring] inspector = true` and a page's event stream open;
 * `dead-letter`: with `[dead_letter] enabled = true` (the workload has no poison: the cost of being ready for it).
 */
type Contender = 'this' | Variant | 'reference';

interface CeilingRun {
  contender: 'ceiling';
  run: number;
  writers: number;
  seconds: number;
  pointsPerSecond: number;
}

async function runPersister(
  s: Stack,
  topic: string,
  contender: Contender,
  run: number,
  referenceCommand: string | undefined,
): Promise<PersisterRun> {
  const brokers = s.kafka.brokers;
  const id = uniqueName('bench');
  const database = `bench_${id}`;
  const config = writeConfig({
    brokers,
    influxUrl: s.influx.url,
    metricsTopic: KIND === 'metrics' ? topic : `unused-${id}`,
    alarmsTopic: KIND === 'alarms' ? topic : `unused-${id}`,
    metricsEnabled: KIND === 'metrics',
    alarmsEnabled: KIND === 'alarms',
    group: id,
    database,
    metricsBatchSize: 20_000,
    alarmsBatchSize: 1000,
    maxWaitSeconds: 30,
    influxGzip: GZIP,
    numProcessors: PROCESSORS,
    monitoring: { port: 0, inspector: contender === 'inspector' },
    deadLetter: { enabled: contender === 'dead-letter', topic: `bench-dead-letters-${id}` },
  });
  const groupId = `${id}_${KIND === 'metrics' ? 'metrics' : 'alarms'}`;
  const admin = benchKafka(brokers).admin();
  await admin.connect();
  const label = `[${contender} ${run}/${RUNS}]`;
  const started = process.hrtime.bigint();
  const daemon =
    contender === 'reference'
      ? new Daemon([], {}, [referenceCommand!, '--config-file', config], 2000)
      : new Daemon(['--config-file', config], {}, undefined, 2000);
  const meter = new TreeMeter(daemon.child.pid!);
  const page = contender === 'inspector' ? watchInspector(daemon) : undefined;
  let seconds: number;
  let figures: TreeFigures;
  try {
    for (;;) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const done = offsets.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      if (done >= MESSAGES) {
        seconds = Number(process.hrtime.bigint() - started) / 1e9;
        figures = meter.stop();
        break;
      }
      const m = meter.last;
      log(`\r${label} committed ${done}/${MESSAGES}  ${m ? `RSS ${MiB(m.rssMiB)} MiB, CPU ${m.cpuSeconds.toFixed(1)} s` : ''}   `);
      if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
        throw new Error(`${contender} exited early:\n${daemon.tail()}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    meter.stop();
    page?.stop();
    await admin.disconnect();
    await stopTree(daemon);
  }
  if (page) log(`${label} the inspector's stream sent ${fmt(page.bytes())} bytes\n`);
  log(`\r${label} ${MESSAGES} in ${seconds.toFixed(2)} s, CPU ${figures.cpuSeconds.toFixed(2)} s, peak RSS ${MiB(figures.peakRssMiB)} MiB\n`);
  const influx = new InfluxHttp({ url: s.influx.url });
  const stored = await storedPoints(influx, database);
  // at least the measured messages, and at most the padding besides
  if (stored < MESSAGES || stored > MESSAGES + PADDING) log(`${label} WARNING: ${stored} points stored for ${MESSAGES} (+${PADDING}) messages\n`);
  await influx.query(`DROP DATABASE "${database}"`);
  return {
    contender,
    run,
    seconds,
    msgsPerSecond: MESSAGES / seconds,
    cpuSeconds: figures.cpuSeconds,
    cpuSecondsPerMillion: (figures.cpuSeconds / MESSAGES) * 1e6,
    peakRssMiB: figures.peakRssMiB,
    peakPssMiB: figures.peakPssMiB,
    maxProcesses: figures.maxProcesses,
    storedPoints: stored,
  };
}

/** A page of the live inspector, open on the daemon while it runs: its event stream read and discarded. */
function watchInspector(daemon: Daemon): { stop(): void; bytes(): number } {
  const abort = new AbortController();
  let bytes = 0;
  void (async () => {
    const line = await daemon.waitForLog((l) => l.msg === 'monitoring endpoint listening', 60_000);
    const res = await fetch(`${String(line.url)}/inspector/events`, { signal: abort.signal });
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) bytes += chunk.length;
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) log(`inspector stream failed: ${String(err)}\n`);
  });
  return { stop: () => abort.abort(), bytes: () => bytes };
}

/** SIGTERM to the root; SIGKILL after 15 s; then any descendant left behind (re-parented) is ended. */
async function stopTree(daemon: Daemon): Promise<void> {
  const pids = processTree(daemon.child.pid!).map((p) => p.pid);
  const timer = setTimeout(() => daemon.child.kill('SIGKILL'), 15_000);
  await daemon.stop('SIGTERM');
  clearTimeout(timer);
  for (const pid of pids.slice(1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
}

/** Line protocol of all the messages, in requests of INFLUX_BATCH lines, converted by src/convert. */
function convertAll(workload: Workload, database: string): LineBlock[] {
  const requests: LineBlock[] = [];
  for (let i = 0; i < MESSAGES; i += INFLUX_BATCH) {
    const messages = [];
    for (let k = i; k < Math.min(i + INFLUX_BATCH, MESSAGES); k++) messages.push({ offset: String(k), value: Buffer.from(workload.message(k)) });
    const batch = convertBatch(KIND, { partition: 0, messages }, { databaseName: database, dbPerTenant: false });
    const block = batch.lines.get(database);
    if (block) requests.push(block);
  }
  return requests;
}

async function runCeiling(s: Stack, requests: LineBlock[], database: string, writers: number, run: number): Promise<CeilingRun> {
  const influx = new InfluxHttp({ url: s.influx.url, gzip: GZIP });
  const db = `${database}_${writers}w_${run}`;
  await influx.createDatabase(db, 0);
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < requests.length) await influx.write(db, requests[next++]);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const points = linesIn(requests);
  await influx.query(`DROP DATABASE "${db}"`);
  log(`[ceiling ${writers} writer(s) ${run}/${RUNS}] ${points} points in ${seconds.toFixed(2)} s\n`);
  return { contender: 'ceiling', run, writers, seconds, pointsPerSecond: points / seconds };
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(runs: (PersisterRun | CeilingRun)[]): string {
  const of = (c: Contender) => runs.filter((r): r is PersisterRun => r.contender === c);
  const ours = of('this');
  const variant = VARIANT ? of(VARIANT) : [];
  const ref = of('reference');
  const rows: string[] = [
    `${KIND}: ${fmt(MESSAGES)} messages, ${PARTITIONS} partitions, num_processors ${PROCESSORS}, batch_size ${BATCH_SIZE}${KIND === 'metrics' ? `, ${fmt(SERIES)} series` : ''}, medians of ${RUNS} run(s)`,
    '',
    '| | msgs/s | CPU s per 1M msgs | peak RSS (MiB) | peak PSS (MiB) | processes |',
    '|---|---|---|---|---|---|',
  ];
  const row = (name: string, rs: PersisterRun[]) =>
    `| ${name} | ${fmt(median(rs.map((r) => r.msgsPerSecond)))} | ${fmt(median(rs.map((r) => r.cpuSecondsPerMillion)), 1)} | ${fmt(median(rs.map((r) => r.peakRssMiB)))} | ${fmt(median(rs.map((r) => r.peakPssMiB)))} | ${Math.max(...rs.map((r) => r.maxProcesses))} |`;
  if (ours.length) rows.push(row('this persister', ours));
  if (VARIANT && variant.length) rows.push(row(`this persister, ${VARIANTS[VARIANT]}`, variant));
  if (ref.length) rows.push(row('monasca-persister 9.0.0', ref));
  if (VARIANT && ours.length && variant.length) {
    const ratio = (f: (r: PersisterRun) => number) => `${(median(variant.map(f)) / median(ours.map(f))).toFixed(3)}x`;
    rows.push(`| ratio ${VARIANTS[VARIANT]} / not | ${ratio((r) => r.msgsPerSecond)} | ${ratio((r) => r.cpuSecondsPerMillion)} | ${ratio((r) => r.peakRssMiB)} | ${ratio((r) => r.peakPssMiB)} | |`);
  }
  if (ours.length && ref.length) {
    const ratio = (f: (r: PersisterRun) => number) => `${(median(ours.map(f)) / median(ref.map(f))).toFixed(2)}x`;
    rows.push(
      `| ratio this / reference | ${ratio((r) => r.msgsPerSecond)} | ${ratio((r) => r.cpuSecondsPerMillion)} | ${ratio((r) => r.peakRssMiB)} | ${ratio((r) => r.peakPssMiB)} | |`,
    );
  }
  for (const writers of [1, 2]) {
    const c = runs.filter((r): r is CeilingRun => r.contender === 'ceiling' && r.writers === writers);
    if (c.length) rows.push(`| ceiling, ${writers} writer(s) (points/s) | ${fmt(median(c.map((r) => r.pointsPerSecond)))} | | | | |`);
  }
  rows.push('', 'each run (msgs/s): ');
  for (const c of ['this', ...(VARIANT ? [VARIANT] : []), 'reference'] as const) {
    const rs = of(c);
    if (rs.length) rows.push(`  ${c}: ${rs.map((r) => `${fmt(r.msgsPerSecond)} (${r.seconds.toFixed(2)} s, CPU ${r.cpuSeconds.toFixed(2)} s, RSS ${MiB(r.peakRssMiB)} MiB)`).join('; ')}`);
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const s = await loadStack();
  const referenceCommand = WITH_REFERENCE
    ? (process.env.REFERENCE_PERSISTER ?? execFileSync('bash', [join(ROOT, 'bench', 'reference.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim())
    : undefined;
  const workload: Workload = KIND === 'metrics' ? new MetricWorkload(MESSAGES, Date.now(), SERIES) : new AlarmWorkload(MESSAGES);
  const topic = `bench-${KIND}-${uniqueName('')}`;
  await createTopic(s.kafka.brokers, topic, PARTITIONS);
  await produceAll(s.kafka.brokers, topic, workload, MESSAGES + PADDING, PARTITIONS);
  const ceilingRequests = WITH_CEILING ? convertAll(workload, `bench_ceiling_${uniqueName('')}`) : [];

  const runs: (PersisterRun | CeilingRun)[] = [];
  for (let run = 1; run <= RUNS; run++) {
    runs.push(await runPersister(s, topic, 'this', run, undefined));
    if (VARIANT) runs.push(await runPersister(s, topic, VARIANT, run, undefined));
    if (referenceCommand) runs.push(await runPersister(s, topic, 'reference', run, referenceCommand));
    if (WITH_CEILING) {
      for (const writers of [1, 2]) runs.push(await runCeiling(s, ceilingRequests, `bench_ceiling_${uniqueName('')}`, writers, run));
    }
  }

  const text = table(runs);
  console.log(`\n${text}`);
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date}-${KIND}${PROCESSORS > 1 ? `-${PROCESSORS}-processors` : ''}${VARIANT ? `-${VARIANT}` : ''}.json`);
  const result = {
    date: new Date().toISOString(),
    kind: KIND,
    messages: MESSAGES,
    partitions: PARTITIONS,
    processors: PROCESSORS,
    series: KIND === 'metrics' ? SERIES : undefined,
    batchSize: BATCH_SIZE,
    gzip: GZIP,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    // where it was installed, relative to the checkout (not this machine's path)
    reference: referenceCommand && relative(ROOT, referenceCommand),
    runs,
    table: text,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`results saved in ${file}\n`);
  const svg = file.replace(/\.json$/, '.svg');
  writeFileSync(svg, `${chartSvg([result])}\n`);
  log(`chart saved in ${svg}\n`);
  // the newest metrics and alarms results in bench/results, this one included
  const latest = writeLatest(dir);
  if (latest) log(`chart of the newest results saved in ${latest}\n`);
}

main().catch((err: unknown) => {
  console.error(`\nbenchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
