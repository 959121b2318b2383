import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertBatch, type SourceBatch } from '../../src/convert/index.js';
import { type DeadLetter, DeadLetterOffice, type DeadLetterPort } from '../../src/dead-letter.js';
import { classifyDeadLetterError, requests } from '../../src/kafka/dead-letters.js';

/** A metric message of a name and tenant. */
function metric(p: { name?: string } = {}, meta: { tenantId?: string } = {}): string {
  return JSON.stringify({
    metric: { name: p.name ?? 'cpu', dimensions: { host: 'h1' }, timestamp: 1_500_000_000_000, value: 42.5 },
    meta: { tenantId: meta.tenantId ?? 't1', region: 'r1' },
    creation_time: 1_500_000_001,
  });
}

class RecordingPort implements DeadLetterPort {
  readonly sent: DeadLetter[][] = [];
  async send(letters: readonly DeadLetter[]): Promise<void> {
    this.sent.push([...letters]);
  }
  async close(): Promise<void> {}
}

const routing = { databaseName: 'mon', dbPerTenant: true };

function source(partition: number, messages: [string, string | null, string?][]): SourceBatch {
  return {
    partition,
    messages: messages.map(([offset, v, key]) => ({
      offset,
      value: v === null ? null : Buffer.from(v, 'utf8'),
      key: key === undefined ? null : Buffer.from(key),
    })),
  };
}

test('dead letters: each drop and each refused point, with its key, value and headers; identical refused lines take their messages in turn', () => {
  const same = metric({ name: 'twin' }, { tenantId: 't1' });
  const a = convertBatch('metrics', source(2, [['7', same, 'k7'], ['8', '{oops', 'k8'], ['9', metric({ name: 'ok' }, { tenantId: 't2' })]]), routing, true);
  const b = convertBatch('metrics', source(3, [['40', same], ['41', null]]), routing, true);
  const twin = [...a.lines.get('mon_t1')!.text.split('\n')][0];
  const office = new DeadLetterOffice(new RecordingPort(), 'metrics', '1.2.3');
  const letters = office.lettersOf([a, b], [
    { database: 'mon_t1', line: twin, error: 'field type conflict' },
    { database: 'mon_t1', line: twin, error: 'field type conflict' },
  ]);
  const summary = letters.map((l) => [l.headers.reason, l.headers.source_partition, l.headers.source_offset, l.key?.toString() ?? null]);
  assert.deepEqual(summary, [
    ['not_json', '2', '8', 'k8'],
    ['empty', '3', '41', null],
    ['refused', '2', '7', 'k7'],
    ['refused', '3', '40', null],
  ]);
  assert.equal(letters[0].value!.toString(), '{oops');
  assert.equal(letters[2].value!.toString(), same);
  assert.match(letters[0].headers.error, /not JSON/);
  assert.equal(letters[2].headers.error, 'field type conflict');
  for (const l of letters) {
    assert.equal(l.headers.source_topic, 'metrics');
    assert.equal(l.headers.persister_version, '1.2.3');
  }
});

test('a refused line that cannot be traced to a message (batches without origins) is an error, never a silent loss', () => {
  const a = convertBatch('metrics', source(0, [['1', metric({}, { tenantId: 't1' })]]), routing);
  const office = new DeadLetterOffice(new RecordingPort(), 'metrics', '1');
  assert.throws(() => office.lettersOf([a], [{ database: 'mon_t1', line: a.lines.get('mon_t1')!.text, error: 'x' }]), /cannot be traced/);
});

test('post sends nothing when nothing was dropped or refused', async () => {
  const port = new RecordingPort();
  const office = new DeadLetterOffice(port, 'metrics', '1');
  const a = convertBatch('metrics', source(0, [['1', metric()]]), routing, true);
  assert.equal(await office.post([a], { stored: 1, refused: 0, refusals: [] }), 0);
  assert.deepEqual(port.sent, []);
  const b = convertBatch('metrics', source(0, [['2', 'x']]), routing, true);
  assert.equal(await office.post([b], { stored: 0, refused: 0, refusals: [] }), 1);
  assert.equal(port.sent.length, 1);
});

test('post refuses refusals that were only counted (not traced): they would have no letter', async () => {
  const port = new RecordingPort();
  const office = new DeadLetterOffice(port, 'metrics', '1');
  const a = convertBatch('metrics', source(0, [['1', metric()]]), routing, true);
  await assert.rejects(office.post([a], { stored: 0, refused: 1, refusals: [] }), /refusals must be traced/);
  assert.deepEqual(port.sent, []);
});

test('the error header is cut to 1,000 characters', () => {
  const a = convertBatch('metrics', source(0, [['1', metric({}, { tenantId: 't1' })]]), routing, true);
  const office = new DeadLetterOffice(new RecordingPort(), 'metrics', '1');
  const [letter] = office.lettersOf([a], [{ database: 'mon_t1', line: a.lines.get('mon_t1')!.text, error: 'x'.repeat(5000) }]);
  assert.equal(letter.headers.error, `${'x'.repeat(1000)}...`);
});

test('producer errors: too large and an invalid topic are configuration faults naming the fix; no connection, unreachable; others, transient', () => {
  const protocol = (type: string) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type });
  const tooLarge = classifyDeadLetterError(Object.assign(new Error('retries'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: protocol('MESSAGE_TOO_LARGE') }), 'dl');
  assert.equal(tooLarge.fault, 'configuration');
  assert.match(tooLarge.message, /dead-letter topic dl refused the letters \(MESSAGE_TOO_LARGE\): a dead letter is larger than the topic accepts: raise the topic's max.message.bytes/);
  assert.equal(classifyDeadLetterError(protocol('INVALID_TOPIC_EXCEPTION'), 'dl').fault, 'configuration');
  assert.match(classifyDeadLetterError(protocol('TOPIC_AUTHORIZATION_FAILED'), 'dl').message, /^Kafka, topic dl \(dead letters\): not authorized \(TOPIC_AUTHORIZATION_FAILED\): grant this user write on the topic$/);
  const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
  assert.equal(classifyDeadLetterError(Object.assign(new Error('retries'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: refused }), 'dl').fault, 'unreachable');
  assert.equal(classifyDeadLetterError(protocol('NOT_ENOUGH_REPLICAS'), 'dl').fault, 'transient');
});

test('produce requests stay under 512 KiB of letters; a larger letter goes alone', () => {
  const letter = (bytes: number): DeadLetter => ({
    key: null,
    value: Buffer.alloc(bytes),
    headers: { reason: 'invalid', error: '', source_topic: '', source_partition: '', source_offset: '', persister_version: '' },
  });
  const sizes = [...requests([...Array.from({ length: 10 }, () => letter(100_000)), letter(2_000_000), letter(10)])].map((r) => r.length);
  assert.deepEqual(sizes, [5, 5, 1, 1]);
  assert.deepEqual([...requests([])], []);
});
