/**
 * Memory during a long InfluxDB outage: N metric messages wait in Kafka while InfluxDB is cut off
 * (a fault-injecting proxy refuses every connection); the persister's RSS is sampled every few
 * seconds, then InfluxDB comes back and the time until everything is stored is measured.
 *
 *   npm run bench:outage          # BENCH_MESSAGES (200,000), OUTAGE_SECONDS (60)
 */
import { readFileSync } from 'node:fs';
import { Daemon, writeConfig } from '../test/helpers/daemon.js';
import { createTopic, offsets, produce } from '../test/helpers/kafka.js';
import { sampleMetric } from '../test/helpers/messages.js';
import { FaultProxy } from '../test/helpers/proxy.js';
import { stack, uniqueName } from '../test/helpers/stack.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200_000);
const OUTAGE_SECONDS = Number(process.env.OUTAGE_SECONDS ?? 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  const s = await stack();
  const id = uniqueName('outage');
  const topic = `metrics-${id}`;
  await createTopic(s.kafka.brokers, topic, 3);
  await produce(s.kafka.brokers, topic, Array.from({ length: MESSAGES }, (_, i) => sampleMetric(i).value), {
    chunk: 5000,
    onProgress: (n) => process.stderr.write(`\rproducing ${n}/${MESSAGES}`),
  });
  process.stderr.write('\n');
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(s.influx.url).port) });
  proxy.setMode('refuse');
  const daemon = Daemon.start(
    writeConfig({
      brokers: s.kafka.brokers,
      influxUrl: proxy.url,
      metricsTopic: topic,
      alarmsTopic: `alarms-${id}`,
      group: id,
      database: `outage_${id}`,
      metricsBatchSize: 20_000,
      // The last, partial batch is written a second after its first message rather than after the
      // default 30 s: the recovery time measures the writer's restart, not that timer.
      maxWaitSeconds: 1,
      alarmsEnabled: false,
      supervisor: { restart_max_delay_seconds: 5, max_restarts: 1000 },
    }),
  );
  const samples: number[] = [];
  for (let t = 0; t < OUTAGE_SECONDS; t += 5) {
    await sleep(5_000);
    samples.push(Math.round(rssMiB(daemon.child.pid!)));
    process.stderr.write(`\routage ${t + 5}/${OUTAGE_SECONDS} s, RSS ${samples.at(-1)} MiB`);
  }
  process.stderr.write('\n');
  const restoredAt = Date.now();
  proxy.setMode('pass');
  for (;;) {
    const o = await offsets(s.kafka.brokers, `${id}_metrics`, topic);
    if (o.every((p) => p.committed === p.end)) break;
    await sleep(250);
  }
  const recovery = (Date.now() - restoredAt) / 1000;
  await daemon.stop();
  await proxy.close();
  console.log(`${MESSAGES} messages waiting in Kafka during a ${OUTAGE_SECONDS} s InfluxDB outage:`);
  console.log(`  RSS every 5 s (MiB): ${samples.join(' ')}  (min ${Math.min(...samples)}, max ${Math.max(...samples)})`);
  console.log(`  restarts of the writer: ${daemon.logs.filter((l) => l.msg === 'restarting writer').length}`);
  console.log(`  all stored and committed ${recovery.toFixed(1)} s after InfluxDB came back`);
}

main().catch((err: unknown) => {
  console.error(`\nbenchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
