/**
 * End-to-end throughput: pre-produce N metric messages, then time a persister from its start until
 * every message is stored and committed. Prints msgs/s and the persister's peak RSS.
 *
 *   npm run bench                       # this persister, 200,000 messages
 *   BENCH_MESSAGES=50000 npm run bench
 *   REFERENCE_PERSISTER=/path/to/venv/bin/monasca-persister npm run bench   # also the Python one
 *   BENCH_INFLUX_GZIP=true npm run bench  # [influxdb] gzip = true
 */
import { readFileSync } from 'node:fs';
import { Daemon, writeConfig } from '../test/helpers/daemon.js';
import { createTopic, offsets, produce } from '../test/helpers/kafka.js';
import { sampleMetric } from '../test/helpers/messages.js';
import { stack, uniqueName } from '../test/helpers/stack.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const GZIP = process.env.BENCH_INFLUX_GZIP === 'true';

/** User + system CPU seconds of a live process (clock ticks of /proc/<pid>/stat, 100 a second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function measure(label: string, command: string[] | undefined): Promise<void> {
  const s = await stack();
  const brokers = s.kafka.brokers;
  const id = uniqueName('bench');
  const metricsTopic = `metrics-${id}`;
  await createTopic(brokers, metricsTopic, PARTITIONS);
  const values = Array.from({ length: MESSAGES }, (_, i) => sampleMetric(i).value);
  await produce(brokers, metricsTopic, values, {
    chunk: 5000,
    onProgress: (n) => process.stderr.write(`\r[${label}] producing ${n}/${MESSAGES}`),
  });
  process.stderr.write('\n');
  const config = writeConfig({
    brokers,
    influxUrl: s.influx.url,
    metricsTopic,
    alarmsTopic: `alarms-${id}`,
    group: id,
    database: `bench_${id}`,
    metricsBatchSize: 20_000, // the reference's default
    maxWaitSeconds: 30,
    alarmsEnabled: false,
    influxGzip: GZIP,
  });
  await createTopic(brokers, `alarms-${id}`, 1);
  const started = process.hrtime.bigint();
  const daemon = command ? new Daemon([], {}, [...command, '--config-file', config]) : Daemon.start(config);
  let peak = 0;
  for (;;) {
    const o = await offsets(brokers, `${id}_metrics`, metricsTopic);
    const done = o.reduce((n, p) => n + Math.max(0, Number(p.committed)), 0);
    try {
      peak = Math.max(peak, peakRssMiB(daemon.child.pid!));
    } catch {
      // exited
    }
    process.stderr.write(`\r[${label}] stored and committed ${done}/${MESSAGES}`);
    if (done >= MESSAGES) break;
    if (daemon.child.exitCode !== null) throw new Error(`${label} exited early:\n${daemon.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuSeconds(daemon.child.pid!);
  process.stderr.write('\n');
  await daemon.stop('SIGTERM');
  console.log(
    `${label}${GZIP ? ' [gzip]' : ''}: ${MESSAGES} messages in ${seconds.toFixed(2)} s = ${Math.round(MESSAGES / seconds)} msgs/s (from start, incl. start-up); CPU ${cpu.toFixed(2)} s; peak RSS ${peak.toFixed(0)} MiB`,
  );
}

async function main(): Promise<void> {
  await measure('monasca-persister (this)', undefined);
  const reference = process.env.REFERENCE_PERSISTER;
  if (reference) await measure('monasca-persister 9.0.0 (Python)', [reference]);
}

main().catch((err: unknown) => {
  console.error(`\nbenchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
