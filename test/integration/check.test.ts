/**
 * `monasca-persister check` against the real Kafka and InfluxDB: a good configuration, a wrong
 * password, an unreachable broker, a missing topic, the dead-letter topic, and a file with several
 * bad values. It must
 * write nothing and join no consumer group.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { writeConfig, type DaemonSettings } from '../helpers/daemon.js';
import { createTopic } from '../helpers/kafka.js';
import { ROOT } from '../helpers/paths.js';
import { influxQuery, type Stack, stack, uniqueName } from '../helpers/stack.js';

const CLI = join(ROOT, 'dist', 'src', 'cli.js');

function check(config: string): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'check', '--config-file', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, lines: out.trimEnd().split('\n'), stderr }));
  });
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('monasca-persister check', { timeout: 120_000 }, () => {
  let s: Stack;
  let settings: DaemonSettings;
  before(async () => {
    s = await stack();
    const id = uniqueName('chk');
    await createTopic(s.kafka.brokers, `metrics-${id}`, 2);
    await createTopic(s.kafka.brokers, `alarms-${id}`, 1);
    settings = { brokers: s.kafka.brokers, influxUrl: s.influx.url, metricsTopic: `metrics-${id}`, alarmsTopic: `alarms-${id}`, group: id, database: `mon_${id}` };
  });

  test('a good configuration: every check ok, exit 0; nothing written, no group joined', async () => {
    const r = await check(writeConfig(settings));
    assert.equal(r.code, 0, r.lines.join('\n') + r.stderr);
    assert.ok(r.lines.every((l) => l.startsWith('ok ')), r.lines.join('\n'));
    assert.match(r.lines[0], /^ok {3}configuration: .* read; pipelines: \[kafka_metrics\] metrics-\S+, \[kafka_alarm_history\] alarms-/);
    assert.ok(r.lines.some((l) => new RegExp(`^ok {3}kafka \\[kafka_metrics\\] .*: connected; topic ${settings.metricsTopic} has 2 partitions$`).test(l)), r.lines.join('\n'));
    assert.ok(r.lines.some((l) => /^ok {3}kafka \[kafka_alarm_history\] .*has 1 partition$/.test(l)), r.lines.join('\n'));
    assert.ok(r.lines.some((l) => l.includes(`database ${settings.database}: does not exist yet: created on the first write`)), r.lines.join('\n'));
    const dbs = await influxQuery(s.influx.url, 'SHOW DATABASES');
    assert.ok(!JSON.stringify(dbs).includes(settings.database), 'no database created');
    const admin = new Kafka({ clientId: 't', brokers: s.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    await admin.disconnect();
    assert.ok(!groups.some((g) => g.startsWith(settings.group)), `no consumer group: ${groups.filter((g) => g.startsWith('chk'))}`);
  });

  test('InfluxDB refusing the password: FAIL naming user and password, exit 78', async () => {
    const r = await check(writeConfig({ ...settings, influxUrl: s.influxAuth.url, user: s.influxAuth.user, password: 'not-the-password' }));
    assert.equal(r.code, 78, r.lines.join('\n'));
    const line = r.lines.find((l) => l.startsWith('FAIL influxdb'));
    assert.match(line ?? '', /401.*check \[influxdb\] user and password/, r.lines.join('\n'));
    assert.ok(!r.lines.join('\n').includes('not-the-password'), 'the password is never printed');
  });

  test('a broker that does not answer: FAIL, exit 69', async () => {
    const port = await closedPort();
    const r = await check(writeConfig({ ...settings, brokers: [`127.0.0.1:${port}`] }));
    assert.equal(r.code, 69, r.lines.join('\n'));
    assert.match(r.lines.find((l) => l.startsWith('FAIL kafka [kafka_metrics]')) ?? '', /no broker answered .*ECONNREFUSED.*check \[kafka_metrics\] uri/);
    assert.ok(r.lines.some((l) => l.startsWith('ok   influxdb')), 'the other checks still run');
  });

  test('a topic that does not exist: FAIL naming it, exit 78', async () => {
    const r = await check(writeConfig({ ...settings, metricsTopic: `no-such-topic-${settings.group}` }));
    assert.equal(r.code, 78, r.lines.join('\n'));
    assert.ok(r.lines.includes(`FAIL kafka [kafka_metrics] ${s.kafka.brokers.join(',')}: topic no-such-topic-${settings.group} does not exist: create it, or fix [kafka_metrics] topic`), r.lines.join('\n'));
    assert.ok(r.lines.some((l) => l.startsWith('ok   kafka [kafka_alarm_history]')));
  });

  test('[dead_letter] enabled: its brokers checked once, a topic not there yet is a warning; brokers that do not answer, FAIL naming the option', async () => {
    const letters = `letters-${settings.group}`;
    const missing = await check(writeConfig({ ...settings, deadLetter: { enabled: true, topic: letters } }));
    assert.equal(missing.code, 0, missing.lines.join('\n'));
    const lines = missing.lines.filter((l) => l.includes('[dead_letter]'));
    assert.deepEqual(lines, [`warn kafka [dead_letter] ${s.kafka.brokers.join(',')}: topic ${letters} does not exist yet: the first dead letter creates it where the brokers allow it (auto.create.topics.enable); otherwise create it`]);
    const admin = new Kafka({ clientId: 't', brokers: s.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const created = (await admin.listTopics()).includes(letters);
    await admin.disconnect();
    assert.ok(!created, 'checking does not create the topic');

    await createTopic(s.kafka.brokers, letters, 1);
    const there = await check(writeConfig({ ...settings, deadLetter: { enabled: true, topic: letters } }));
    assert.ok(there.lines.includes(`ok   kafka [dead_letter] ${s.kafka.brokers.join(',')}: connected; topic ${letters} has 1 partition`), there.lines.join('\n'));

    const port = await closedPort();
    const down = await check(writeConfig({ ...settings, deadLetter: { enabled: true, topic: letters, uri: `127.0.0.1:${port}` } }));
    assert.equal(down.code, 69, down.lines.join('\n'));
    assert.match(down.lines.find((l) => l.startsWith('FAIL kafka [dead_letter]')) ?? '', /no broker answered .*check \[dead_letter\] uri/);
  });

  test('a file with several bad values: one FAIL line for each, exit 78, no service contacted', async () => {
    const file = writeConfig({ ...settings, supervisor: { max_restarts: 'many', write_attempts: 0 }, monitoring: { port: 'eighty' } });
    const r = await check(file);
    assert.equal(r.code, 78);
    assert.deepEqual(
      r.lines.map((l) => /\] (\w+) = "([^"]*)"/.exec(l)?.slice(1)),
      [['write_attempts', '0'], ['max_restarts', 'many'], ['port', 'eighty']], // in the order of the sections and options
      r.lines.join('\n'),
    );
    assert.ok(r.lines.every((l) => l.startsWith(`FAIL configuration: ${file}: [`)), r.lines.join('\n'));
  });
});
