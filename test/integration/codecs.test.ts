/**
 * Compressed topics: batches compressed by Kafka's own Java producer with each codec (none, gzip,
 * snappy, lz4, zstd), in one topic; one daemon stores every message and commits to the end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type JavaCodec, createTopic, produceWithJava } from '../helpers/kafka.js';
import { BASE_TIME_MS, sampleMetric } from '../helpers/messages.js';
import { onTheStack, SAMPLE_MEASUREMENTS, waitForCommitted } from '../helpers/scenario.js';
import { influxQuery, uniqueName } from '../helpers/stack.js';

const stackRun = onTheStack();
const CODECS: JavaCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const PER_CODEC = 600;

test('every Kafka codec, as the Java producer compresses it: all stored, committed to the end', { timeout: 300_000 }, async (t) => {
  const id = uniqueName('z');
  const topic = `metrics-${id}`;
  await createTopic(stackRun.brokers, topic, 3);
  // The codec of message i is CODECS[floor(i / PER_CODEC)]; its timestamp is BASE_TIME_MS + i.
  await Promise.all(
    CODECS.map((codec, k) =>
      produceWithJava(stackRun.brokers, topic, Array.from({ length: PER_CODEC }, (_, j) => sampleMetric(k * PER_CODEC + j).value), codec),
    ),
  );
  const database = `mon_${id}`;
  const daemon = stackRun.start({
    brokers: stackRun.brokers,
    influxUrl: stackRun.influxUrl,
    metricsTopic: topic,
    alarmsTopic: `alarms-${id}`,
    alarmsEnabled: false,
    group: id,
    database,
    metricsBatchSize: 500,
    maxWaitSeconds: 1,
  });
  await waitForCommitted(stackRun.brokers, `${id}_metrics`, topic, 'end', 120_000, daemon);
  assert.equal((await daemon.stop()).code, 0, daemon.tail());
  const stored: Record<string, number> = {};
  for (const [k, codec] of CODECS.entries()) {
    const from = BASE_TIME_MS + k * PER_CODEC;
    let n = 0;
    for (const m of SAMPLE_MEASUREMENTS) {
      const r = await influxQuery(stackRun.influxUrl, `SELECT count("value") FROM "${m}" WHERE time >= ${from}ms AND time < ${from + PER_CODEC}ms`, database);
      n += Number(r[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
    }
    stored[codec] = n;
  }
  t.diagnostic(`stored per codec: ${JSON.stringify(stored)}`);
  assert.deepEqual(stored, Object.fromEntries(CODECS.map((c) => [c, PER_CODEC])));
  assert.equal(daemon.logs.filter((l) => l.msg === 'message dropped').length, 0);
});
