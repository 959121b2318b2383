/**
 * The dead-letter topic and `monasca-persister replay`, on the real broker and InfluxDB:
 * - 50,000 metrics with 5% poison of every kind spread through them: every good one stored, every
 *   bad one counted by reason and in the dead-letter topic with its key, bytes and headers, offsets
 *   committed to the end; then, the retention policy widened, `replay` stores what it now can and
 *   lists the rest.
 * - The dead-letter topic unreachable (its brokers behind a proxy that refuses connections):
 *   nothing committed past the first poisoned message until it is back; then everything, once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { joinLines } from '../../src/convert/lines.js';
import { InfluxHttp } from '../../src/influx/client.js';
import { type Daemon, type DaemonSettings, writeConfig } from '../helpers/daemon.js';
import { createTopic, offsets, produce, readTopic } from '../helpers/kafka.js';
import { sampleMetric } from '../helpers/messages.js';
import { ROOT } from '../helpers/paths.js';
import { sample } from '../helpers/prometheus.js';
import { FaultProxy } from '../helpers/proxy.js';
import { onTheStack, pointCount, storedMetricPoints, waitForCommitted } from '../helpers/scenario.js';
import { uniqueName } from '../helpers/stack.js';

const scenario = onTheStack();
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const HOUR = 3_600_000;

/** The kinds of poison, each with the reason its dead letter must carry. */
const POISON = ['malformed JSON', 'invalid UTF-8', 'NaN', 'empty tag', 'timestamp out of range', 'field type conflict', 'beyond retention policy'] as const;
type Poison = (typeof POISON)[number];
const REASON: Record<Poison, string> = {
  'malformed JSON': 'not_json',
  'invalid UTF-8': 'not_utf8',
  NaN: 'not_json', // JSON has no NaN (Python's json.dumps writes it for float('nan'))
  'empty tag': 'invalid',
  'timestamp out of range': 'invalid',
  'field type conflict': 'refused',
  'beyond retention policy': 'refused',
};

function metricJson(name: string, timestampMs: number, value: string, dimensions: Record<string, string> = { hostname: 'h1' }): string {
  return `{"metric":{"name":"${name}","dimensions":${JSON.stringify(dimensions)},"timestamp":${timestampMs},"value":${value}},"meta":{"tenantId":"t1","region":"RegionOne"},"creation_time":1}`;
}

function poisoned(kind: Poison, i: number, recentMs: number): string | Buffer {
  switch (kind) {
    case 'malformed JSON':
      return metricJson('poison.json', recentMs + i, '1').slice(0, 40);
    case 'invalid UTF-8':
      return Buffer.concat([Buffer.from(metricJson('poison.utf8', recentMs + i, '1').slice(0, 30)), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
    case 'NaN':
      return metricJson('poison.nan', recentMs + i, 'NaN');
    case 'empty tag':
      return metricJson('poison.tag', recentMs + i, '1', { hostname: '' });
    case 'timestamp out of range':
      return metricJson('poison.time', 99_999_999_999_999_999, '1');
    case 'field type conflict':
      return metricJson('poison.conflict', recentMs + i, '1');
    case 'beyond retention policy':
      return metricJson('poison.old', recentMs - 3 * 24 * HOUR + i, '1');
  }
}

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => p.on('exit', (code) => resolve({ code, out, err })));
}

/** A persister of metrics only, on the stack, with its dead letters in `deadLetters`. */
function metricsOnly(topic: string, group: string, database: string, deadLetter: Record<string, string | boolean>): DaemonSettings {
  return { brokers: scenario.brokers, influxUrl: scenario.influxUrl, metricsTopic: topic, alarmsTopic: 'unused', alarmsEnabled: false, group, database, deadLetter };
}

async function monitoringUrl(daemon: Daemon): Promise<string> {
  return String((await daemon.waitForLog((l) => l.msg === 'monitoring endpoint listening', 30_000)).url);
}

describe('dead-letter topic', { timeout: 600_000 }, () => {
  test('50,000 metrics, 5% poison of every kind: the good stored, the bad counted and dead-lettered with their headers, all committed; replay after the cause is removed', async () => {
    const { brokers, influxUrl } = scenario;
    const http = new InfluxHttp({ url: influxUrl });
    const topic = uniqueName('dl-metrics-');
    const deadLetters = uniqueName('dl-letters-');
    const group = uniqueName('dl-');
    const database = uniqueName('dl_');
    const partitions = 3;
    await createTopic(brokers, topic, partitions);

    // Recent points, all in one shard of the 1h retention policy (the conflicting point's).
    let recentMs = Date.now() - 5 * 60_000;
    if (recentMs % HOUR > HOUR - 120_000) recentMs -= 120_000;
    await http.query(`CREATE DATABASE "${database}" WITH DURATION 1h NAME "1h"`);
    // Another writer stored poison.conflict's value as a string: float values conflict with it.
    await http.write(database, joinLines([`poison.conflict,hostname=h0 value="text" ${recentMs - 1}`]));

    const total = 50_000;
    const values: (string | Buffer)[] = [];
    const poisonAt = new Map<number, Poison>();
    let good = 0;
    for (let i = 0; i < total; i++) {
      if (i % 20 === 7) {
        const kind = POISON[Math.floor(i / 20) % POISON.length];
        poisonAt.set(i, kind);
        values.push(poisoned(kind, i, recentMs));
      } else {
        values.push(sampleMetric(good++, recentMs).value);
      }
    }
    assert.equal(poisonAt.size, total / 20);
    await produce(brokers, topic, values, { key: (i) => `key-${i}` });

    const daemon = scenario.start({ ...metricsOnly(topic, group, database, { enabled: true, topic: deadLetters }), metricsBatchSize: 5000 });
    const url = await monitoringUrl(daemon);
    await waitForCommitted(brokers, `${group}_metrics`, topic, 'end', 240_000, daemon);

    // every good one stored
    assert.equal(await storedMetricPoints(influxUrl, database), good);
    // every bad one counted by reason
    const byReason = new Map<string, number>();
    for (const kind of poisonAt.values()) byReason.set(REASON[kind], (byReason.get(REASON[kind]) ?? 0) + 1);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    for (const reason of ['not_json', 'not_utf8', 'invalid', 'refused']) {
      assert.equal(sample(metrics, 'monasca_persister_messages_dropped_total', { topic, reason }), byReason.get(reason), reason);
    }
    assert.equal(sample(metrics, 'monasca_persister_dead_letters_total', { topic }), poisonAt.size);

    // every bad one in the dead-letter topic: its key and bytes, with headers saying where from and why
    const letters = await readTopic(brokers, deadLetters);
    assert.equal(letters.length, poisonAt.size, 'one dead letter per poisoned message');
    const seen = new Set<number>();
    for (const l of letters) {
      const i = Number(l.key!.toString().slice('key-'.length));
      const kind = poisonAt.get(i);
      assert.ok(kind !== undefined, `message ${i} was not poisoned`);
      assert.ok(!seen.has(i), `message ${i} dead-lettered twice`);
      seen.add(i);
      assert.deepEqual(l.value, Buffer.isBuffer(values[i]) ? values[i] : Buffer.from(values[i] as string), `message ${i}: its bytes`);
      const { error, ...headers } = l.headers;
      assert.deepEqual(
        headers,
        { reason: REASON[kind], source_topic: topic, source_partition: String(i % partitions), source_offset: String(Math.floor(i / partitions)), persister_version: VERSION },
        `message ${i} (${kind})`,
      );
      assert.ok(error.length > 0);
      if (kind === 'field type conflict') assert.match(error, /field type conflict/);
      if (kind === 'beyond retention policy') assert.match(error, /beyond retention policy/);
    }
    await daemon.stop();

    // A dry run writes nothing; then the retention policy widened, replaying the refused stores the old points.
    const config = writeConfig(metricsOnly(topic, group, database, { topic: deadLetters }));
    const of = (kind: Poison) => [...poisonAt.values()].filter((k) => k === kind).length;
    const [conflicts, old] = [of('field type conflict'), of('beyond retention policy')];
    const refused = conflicts + old;
    const dry = await run(['replay', '--config-file', config, '--dry-run']);
    assert.equal(dry.code, 65, dry.out + dry.err);
    assert.match(dry.out, new RegExp(`read ${poisonAt.size}, replayed ${poisonAt.size}: would store ${refused}, still dropped ${poisonAt.size - refused}$`, 'm'));
    assert.equal(await pointCount(influxUrl, database, 'poison.old'), 0, 'a dry run writes nothing');

    // --from: in each partition, the letters from that offset on
    const from = 300;
    const later = letters.filter((l) => Number(l.offset) >= from);
    const laterRefused = later.filter((l) => l.headers.reason === 'refused').length;
    assert.ok(later.length > 0 && later.length < letters.length);
    const part = await run(['replay', '--config-file', config, '--from', String(from), '--reason', 'refused', '--dry-run']);
    assert.match(
      part.out,
      new RegExp(`^read ${later.length}, replayed ${laterRefused} \\(skipped: ${later.length - laterRefused} of another reason\\): would store ${laterRefused}, still dropped 0$`, 'm'),
      part.out + part.err,
    );
    assert.equal(part.code, 0);

    // InfluxDB out of reach: the replay stops, says so, exit 69
    const cutOff = writeConfig({ ...metricsOnly(topic, group, database, { topic: deadLetters }), influxUrl: 'http://127.0.0.1:1' });
    const stopped = await run(['replay', '--config-file', cutOff, '--reason', 'refused']);
    assert.equal(stopped.code, 69, stopped.out + stopped.err);
    assert.match(stopped.out, /^replay stopped: InfluxDB unreachable.*run it again to go on/m);

    await http.query(`ALTER RETENTION POLICY "1h" ON "${database}" DURATION INF`);
    const replayed = await run(['replay', '--config-file', config, '--reason', 'refused']);
    assert.equal(replayed.code, 65, replayed.out + replayed.err);
    assert.match(
      replayed.out,
      new RegExp(`read ${poisonAt.size}, replayed ${refused} \\(skipped: ${poisonAt.size - refused} of another reason\\): stored ${old}, still dropped 0, still refused ${conflicts}$`, 'm'),
    );
    assert.match(replayed.out, /^still refused: dead letter \d+:\d+ \(.* partition \d offset \d+\): .*field type conflict/m);
    assert.equal(await pointCount(influxUrl, database, 'poison.old'), old, 'the points beyond the old retention policy are stored now');
    await http.query(`DROP DATABASE "${database}"`);
  });

  test('the dead-letter topic unreachable: nothing committed past the first poisoned message until it is back, then everything', async () => {
    const { brokers, influxUrl } = scenario;
    const topic = uniqueName('dl-down-');
    const deadLetters = uniqueName('dl-down-letters-');
    const group = uniqueName('dl-down-');
    const database = uniqueName('dl_down_');
    await createTopic(brokers, topic, 1);
    await createTopic(brokers, deadLetters, 1);
    // The dead-letter topic's brokers are reached through a proxy that refuses connections at first.
    const [host, port] = brokers[0].split(':');
    const proxy = await FaultProxy.start({ host, port: Number(port) });
    proxy.setMode('refuse');
    try {
      const now = Date.now() - 60_000;
      const poisonOffset = 500;
      const values = Array.from({ length: 1500 }, (_, i) => (i === poisonOffset ? '{"not": "a metric"' : sampleMetric(i, now).value));
      await produce(brokers, topic, values);
      const daemon = scenario.start({
        ...metricsOnly(topic, group, database, { enabled: true, topic: deadLetters, uri: `127.0.0.1:${proxy.port}` }),
        metricsBatchSize: 100,
        maxWaitSeconds: 1,
        supervisor: { write_attempts: 2, write_retry_initial_seconds: 0.2, restart_initial_delay_seconds: 0.5, restart_max_delay_seconds: 2, max_restarts: 1000 },
      });
      await daemon.waitForLog((l) => l.msg === 'dead letters not acknowledged by Kafka' && /dead-letter topic .* cannot be written/.test(String(l.err)), 120_000);
      await daemon.waitForLog((l) => l.msg === 'writer failed; its consumer is paused until it is restarted', 120_000);
      await sleep(5_000);
      const [held] = await offsets(brokers, `${group}_metrics`, topic);
      assert.ok(Number(held.committed) <= poisonOffset, `committed ${held.committed}: not past the poisoned message at ${poisonOffset}`);
      assert.equal((await readTopic(brokers, deadLetters)).length, 0);

      proxy.setMode('pass');
      await waitForCommitted(brokers, `${group}_metrics`, topic, 'end', 120_000, daemon);
      const letters = await readTopic(brokers, deadLetters);
      assert.deepEqual(
        letters.map((l) => [l.headers.reason, l.headers.source_offset, l.value?.toString()]),
        [['not_json', String(poisonOffset), values[poisonOffset]]],
        'the poisoned message, once',
      );
      assert.equal(await storedMetricPoints(influxUrl, database), values.length - 1);
      await daemon.stop();
      await new InfluxHttp({ url: influxUrl }).query(`DROP DATABASE "${database}"`);
    } finally {
      await proxy.close();
    }
  });
});
