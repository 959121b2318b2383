/**
 * npm run demo: sample Monasca metrics and alarm transitions through the persister into the local
 * InfluxDB, using the sample etc/monasca-persister.conf with the local stack's addresses.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from '../test/helpers/daemon.js';
import { createTopic, offsets, produce } from '../test/helpers/kafka.js';
import { sampleAlarm, sampleMetric } from '../test/helpers/messages.js';
import { ROOT } from '../test/helpers/paths.js';
import { influxQuery, stack } from '../test/helpers/stack.js';

const METRICS = 5000;
const ALARMS = 200;

const line = (text: string) => process.stdout.write(`\r\x1b[K${text}`);

async function main(): Promise<void> {
  const s = await stack();
  const kafka = new URL(`kafka://${s.kafka.brokers[0]}`);
  const influx = new URL(s.influx.url);
  const runId = Date.now().toString(36);
  const metricsTopic = `demo-metrics-${runId}`;
  const alarmsTopic = `demo-alarm-state-transitions-${runId}`;

  // The sample configuration, pointed at the local stack and at this run's topics.
  const config = readFileSync(join(ROOT, 'etc', 'monasca-persister.conf'), 'utf8')
    .replace(/^uri = 127\.0\.0\.1:9092$/gm, `uri = ${kafka.host}`)
    .replace(/^port = 8086$/m, `port = ${influx.port}`)
    .replace(/^\[kafka_metrics\]$/m, `[kafka_metrics]\ntopic = ${metricsTopic}\ngroup_id = ${metricsTopic}\nmax_wait_time_seconds = 1`)
    .replace(/^\[kafka_alarm_history\]$/m, `[kafka_alarm_history]\ntopic = ${alarmsTopic}\ngroup_id = ${alarmsTopic}`)
    .replace(/^\[influxdb\]$/m, '[influxdb]\ndatabase_name = mon_demo');
  const dir = join(ROOT, '.stack', 'demo');
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'monasca-persister.conf');
  writeFileSync(configFile, config);

  await createTopic(s.kafka.brokers, metricsTopic, 3);
  await createTopic(s.kafka.brokers, alarmsTopic, 3);
  const now = Date.now();
  const metrics = Array.from({ length: METRICS }, (_, i) => sampleMetric(i, now - METRICS).value);
  const alarms = Array.from({ length: ALARMS }, (_, i) => sampleAlarm(i, now - ALARMS).value);
  await produce(s.kafka.brokers, metricsTopic, metrics, { chunk: 500, onProgress: (n) => line(`producing metrics ${n}/${METRICS}`) });
  await produce(s.kafka.brokers, alarmsTopic, alarms, { chunk: 50, onProgress: (n) => line(`producing alarm transitions ${n}/${ALARMS}`) });
  line(`produced ${METRICS} metrics to ${metricsTopic} and ${ALARMS} alarm transitions to ${alarmsTopic}\n`);

  console.log(`starting: monasca-persister --config-file ${configFile}`);
  const started = Date.now();
  const daemon = Daemon.start(configFile);
  for (;;) {
    const committed = async (group: string, topic: string) =>
      (await offsets(s.kafka.brokers, group, topic)).reduce((n, p) => n + Math.max(0, Number(p.committed)), 0);
    const m = await committed(metricsTopic, metricsTopic);
    const a = await committed(alarmsTopic, alarmsTopic);
    line(`stored and committed: metrics ${m}/${METRICS}, alarm transitions ${a}/${ALARMS}`);
    if (m >= METRICS && a >= ALARMS) break;
    if (daemon.child.exitCode !== null) throw new Error(`the persister exited early:\n${daemon.tail()}`);
    if (Date.now() - started > 120_000) throw new Error(`not stored within 2 minutes:\n${daemon.tail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  line(`all stored in ${((Date.now() - started) / 1000).toFixed(1)} s (including start-up)\n`);
  // The monitoring endpoint ([monitoring] in the configuration; port 8091 unless it is taken).
  const endpoint = daemon.logs.find((l) => l.msg === 'monitoring endpoint listening');
  if (endpoint) {
    const url = `${String(endpoint.url)}/metrics`;
    const text = await (await fetch(url)).text();
    console.log(`\n> curl ${url} | grep -E 'messages_consumed|points_written|consumer_lag'`);
    console.log(text.split('\n').filter((l) => /^monasca_persister_(messages_consumed|points_written|consumer_lag)/.test(l)).join('\n'));
  }
  const exit = await daemon.stop('SIGTERM');
  console.log(`persister stopped with SIGTERM: exit status ${exit.code}`);

  const queries = [
    'SHOW MEASUREMENTS',
    `SELECT count(value) FROM "cpu.idle_perc" WHERE time >= ${now - METRICS}ms GROUP BY "_tenant_id"`,
    'SELECT alarm_id, old_state, new_state, reason FROM alarm_state_history ORDER BY time DESC LIMIT 3',
  ];
  for (const q of queries) {
    console.log(`\n> influx -port ${influx.port} -database mon_demo -execute '${q}'`);
    for (const r of await influxQuery(s.influx.url, q, 'mon_demo')) {
      for (const series of r.series ?? []) {
        const tags = series.tags ? ` ${JSON.stringify(series.tags)}` : '';
        console.log(`${series.name}${tags}: ${series.columns.join(' | ')}`);
        const timeColumn = series.columns.indexOf('time');
        for (const v of series.values) {
          const cells = v.map((x, i) => (i === timeColumn && typeof x === 'number' ? new Date(x).toISOString() : x));
          console.log(`  ${cells.join(' | ')}`);
        }
      }
    }
  }
  console.log('\nThe local Kafka and InfluxDB keep running; stop them with: npm run stack:down');
  process.exitCode = exit.code ?? 1;
}

main().catch((err: unknown) => {
  console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
