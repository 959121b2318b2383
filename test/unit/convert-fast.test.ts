/**
 * The converter's fast paths (src/convert/fast.ts) against its general code: for any text, a fast
 * path either leaves the message to the general code or gives exactly the general code's line.
 * Inputs: the conformance vectors, the benchmark's messages, random messages of the usual shape
 * with unusual parts, and random edits of those texts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { convertGeneral, convertMessage, Drop, type MessageKind } from '../../src/convert/index.js';
import { fastAlarm, fastMetric } from '../../src/convert/fast.js';
import { fixture } from '../helpers/paths.js';
import { sampleAlarm, sampleMetric } from '../helpers/messages.js';
import { MetricWorkload } from '../../bench/workload.js';

const FAST = { metrics: fastMetric, alarms: fastAlarm };

/**
 * Whether the fast path took the text; throws when it differs from the general code. A metric is
 * converted twice, from its text and then (when ASCII) with its bytes: the second time its series
 * is usually known, so both the way a series is first read and the way it is found again are checked.
 */
function agree(kind: MessageKind, text: string): boolean {
  if (!text.isWellFormed()) return false; // the fast paths' precondition (convertMessage checks it)
  const fast = FAST[kind](text);
  if (kind === 'metrics') {
    const bytes = Buffer.from(text, 'utf8');
    const again = bytes.length === text.length ? fastMetric(text, bytes) : fastMetric(text);
    assert.deepEqual(again, fast, `again: ${text}`);
  }
  if (fast === undefined) return false;
  assert.deepEqual(fast, convertGeneral(kind, text), `${kind}: ${text}`);
  return true;
}

/** A small deterministic random source (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// FAST_FUZZ_SEED and FAST_FUZZ_ITERATIONS run a longer search than the default.
const rnd = random(Number(process.env.FAST_FUZZ_SEED ?? 42));
const ITERATIONS = Number(process.env.FAST_FUZZ_ITERATIONS ?? 20_000);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

const WORDS = ['a', 'b', 'host', 'a b', 'x=y', 'c,d', '', '_tenant_id', '_region', '__proto__', 'é', '😀', '\uffff', 'A', '#x', ' #x', 'subAlarmExpression', 'currentValues', 'name', 'value'];
const NUMBERS = ['0', '-0', '0.0', '-0.0', '1', '-1', '1.5', '10.0', '1e3', '1E-7', '1e400', '-1e400', '12345678901234567890', '0.1', '1e16', '1e-5', '123456789.25', '5e-324'];
const WS = ['', '', '', ' ', '  '];

function jsonString(s: string): string {
  return JSON.stringify(s);
}

function value(depth: number): string {
  const r = rnd();
  if (depth > 3 || r < 0.35) return pick(NUMBERS);
  if (r < 0.55) return jsonString(pick(WORDS));
  if (r < 0.65) return pick(['true', 'false', 'null']);
  if (r < 0.8) return `[${Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1)).join(`,${pick(WS)}`)}]`;
  return object(depth + 1, () => value(depth + 1));
}

function object(depth: number, v: () => string, keys: readonly string[] = WORDS): string {
  const n = Math.floor(rnd() * 4);
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(`${pick(WS)}${jsonString(pick(keys))}${pick(WS)}:${pick(WS)}${v()}`);
  return `{${parts.join(',')}${pick(WS)}}`;
}

function maybe(key: string, v: () => string): string[] {
  const r = rnd();
  if (r < 0.05) return [];
  if (r < 0.08) return [`"${key}":${v()}`, `"${key}":${v()}`];
  return [`"${key}":${v()}`];
}

function obj(parts: string[][]): string {
  const flat = parts.flat();
  for (let i = flat.length - 1; i > 0; i--) {
    if (rnd() < 0.3) {
      const j = Math.floor(rnd() * (i + 1));
      [flat[i], flat[j]] = [flat[j], flat[i]];
    }
  }
  return `{${flat.join(`,${pick(WS)}`)}}`;
}

const text = (): string => (rnd() < 0.9 ? jsonString(pick(WORDS)) : value(0));

function randomMetric(): string {
  const dims = () => (rnd() < 0.9 ? object(0, () => (rnd() < 0.9 ? jsonString(pick(WORDS)) : value(2))) : value(0));
  const metric = obj([
    maybe('name', text),
    maybe('dimensions', dims),
    maybe('timestamp', () => (rnd() < 0.8 ? String(1_500_000_000_000 + Math.floor(rnd() * 1000)) : pick([...NUMBERS, '"1"', '9223372036855', '-9223372036854']))),
    maybe('value', () => (rnd() < 0.8 ? pick(NUMBERS) : value(1))),
    maybe('value_meta', () => (rnd() < 0.5 ? 'null' : rnd() < 0.8 ? object(0, () => value(1)) : value(0))),
    rnd() < 0.2 ? [`"extra":${value(0)}`] : [],
  ]);
  const meta = obj([maybe('tenantId', text), maybe('region', text), rnd() < 0.2 ? [`"x":${value(0)}`] : []]);
  return obj([maybe('metric', () => metric), maybe('meta', () => meta), rnd() < 0.5 ? ['"creation_time":1500000001'] : []]);
}

function randomAlarm(): string {
  const optional = () => (rnd() < 0.5 ? 'null' : rnd() < 0.8 ? jsonString(pick(WORDS)) : value(1));
  const subAlarm = () =>
    obj([
      [`"subAlarmExpression":${object(1, () => value(2), ['function', 'threshold', 'subAlarmExpression', 'currentValues', 'x'])}`],
      [`"subAlarmState":${jsonString(pick(WORDS))}`],
      [`"currentValues":[${pick(NUMBERS)}]`],
    ]);
  const transition = obj([
    maybe('tenantId', text),
    maybe('alarmId', text),
    maybe('newState', text),
    maybe('oldState', text),
    maybe('stateChangeReason', text),
    maybe('link', optional),
    maybe('lifecycleState', optional),
    maybe('metrics', () => value(0)),
    maybe('subAlarms', () => (rnd() < 0.7 ? `[${subAlarm()}]` : pick(['null', '[]', '{}', '0', 'false', '""', value(0)]))),
    maybe('timestamp', () => (rnd() < 0.8 ? '1500000000000' : pick(NUMBERS))),
    rnd() < 0.3 ? [`"severity":${value(0)}`] : [],
  ]);
  return obj([maybe('alarm-transitioned', () => transition), rnd() < 0.2 ? [`"x":${value(0)}`] : []]);
}

const EDITS = ['{', '}', '[', ']', ',', ':', '"', ' ', '0', '-', '.', 'e', 'n', 'x', '\\', '\n', '\t', '1'];

/** The text with a random character removed, inserted or doubled. */
function edit(s: string): string {
  const i = Math.floor(rnd() * (s.length + 1));
  const r = rnd();
  if (r < 0.4) return s.slice(0, i) + s.slice(i + 1);
  if (r < 0.8) return s.slice(0, i) + pick(EDITS) + s.slice(i);
  return s.slice(0, i) + s.slice(i, i + 5) + s.slice(i);
}

function vectors(file: string): string[] {
  return readFileSync(fixture('conformance', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { input: string }).input);
}

test('fast paths agree with the general code on the conformance vectors', () => {
  for (const [kind, file] of [['metrics', 'metrics.jsonl'], ['alarms', 'alarms.jsonl']] as const) {
    let taken = 0;
    for (const input of vectors(file)) if (input.isWellFormed() && agree(kind, input.replace(/^\ufeff/, ''))) taken++;
    assert.ok(taken > 10, `${kind}: only ${taken} vectors took the fast path`);
  }
});

test('plain messages (the benchmark workload, the sample messages) take the fast path', () => {
  const workload = new MetricWorkload(24_000, 1_764_000_000_000);
  for (let k = 0; k < 24_000; k += 7) assert.ok(agree('metrics', workload.message(k)), workload.message(k));
  for (let i = 0; i < 200; i++) {
    assert.ok(agree('metrics', sampleMetric(i).value));
    assert.ok(agree('alarms', sampleAlarm(i).value));
  }
});

test('fast paths agree with the general code on random messages and random edits of them', () => {
  const taken = { metrics: 0, alarms: 0 };
  for (let i = 0; i < ITERATIONS; i++) {
    for (const [kind, make] of [['metrics', randomMetric], ['alarms', randomAlarm]] as const) {
      let s = make();
      if (agree(kind, s)) taken[kind]++;
      for (let e = 0; e < 3; e++) {
        s = edit(s);
        agree(kind, s);
      }
    }
  }
  // the generators must reach the fast path often enough for this test to mean something
  if (process.env.FAST_FUZZ_ITERATIONS) console.log(taken);
  assert.ok(taken.metrics > 500, `metrics: ${taken.metrics}`);
  assert.ok(taken.alarms > 500, `alarms: ${taken.alarms}`);
});

test('metric values: the literal printed as it is where it is repr(float) already, and otherwise printed', () => {
  const digits = () => String(Math.floor(rnd() * 10 ** (1 + Math.floor(rnd() * 9)))).padStart(Math.floor(rnd() * 4), '0');
  const literals = ['0', '-0', '0.0', '-0.0', '5.0', '5.00', '0.0001', '0.00001', '-0.00012', '0.10', '123456789012345', '1234567890123456', '9007199254740993', '12345678901234.5', '1234567890123.45', '0.12345678901234', '0.123456789012345', '1.7976931348623157', '100', '1e2', '1.5E-3'];
  for (let i = 0; i < 3000; i++) {
    const int = digits().replace(/^0+(?=\d)/, '');
    const frac = digits();
    const sign = rnd() < 0.3 ? '-' : '';
    literals.push(rnd() < 0.3 || frac === '' ? `${sign}${int}` : `${sign}${int}.${frac}`);
  }
  for (const literal of literals) {
    const text = `{"metric":{"name":"m","timestamp":1,"value":${literal}},"meta":{"tenantId":"t","region":"r"}}`;
    assert.ok(agree('metrics', text), text);
  }
});

test('known series: found again whatever the table holds (more series than it keeps, dimensions alike but for one character, a } in a dimension)', () => {
  const texts: string[] = [];
  for (let i = 0; i < 25_000; i++) {
    const host = `host-${String(i % 12_500).padStart(5, '0')}`;
    const dims = i % 7 === 0 ? `{"host":"${host}","note":"a}b"}` : `{"host":"${host}","service":"x"}`;
    texts.push(`{"metric":{"name":"m${i % 3}","dimensions":${dims},"timestamp":1,"value":${i}},"meta":{"tenantId":"t${i % 2}","region":"r"}}`);
  }
  for (let round = 0; round < 2; round++) for (const text of texts) assert.ok(agree('metrics', text), text);
  // A known series' message made invalid or not plain (in its dimensions or elsewhere): still left to the general code.
  const known = '{"metric":{"name":"m","dimensions":{"a":"b"},"timestamp":1,"value":1},"meta":{"tenantId":"t","region":"r"}}';
  assert.ok(agree('metrics', known));
  for (const text of [
    known.replace('{"a":"b"}', '{"a":"b"}}'),
    known.replace('{"a":"b"}', '{"a":"b","a":"c"}'),
    known.replace('{"a":"b"}', '{"a":"b\\"}'),
    known.replace('"name":"m"', '"name":"m\\u0041"'),
    known.replace('"tenantId":"t"', '"tenantId":"t\\t"'),
  ]) {
    assert.equal(fastMetric(text), undefined, text);
    assert.equal(fastMetric(text, Buffer.from(text)), undefined, text);
  }
});

describe('limits of the fast path', () => {
  test('a number literal longer than 400 characters: the same line from both paths', () => {
    const long = `1${'0'.repeat(500)}`;
    const alarm = `{"x":${long},"alarm-transitioned":{"tenantId":"t","alarmId":"a","metrics":[],"newState":"A","oldState":"B","stateChangeReason":"r","subAlarms":null,"timestamp":1}}`;
    const metric = `{"metric":{"x":${long},"name":"cpu","timestamp":1,"value":1,"value_meta":{"a":1}},"meta":{"tenantId":"t","region":"r"}}`;
    for (const [kind, text] of [['alarms', alarm], ['metrics', metric]] as const) {
      const general = convertGeneral(kind, text);
      assert.ok(!(general instanceof Drop), `${kind}: ${JSON.stringify(general)}`);
      assert.deepEqual(convertMessage(kind, Buffer.from(text)), general);
    }
  });

  test('an object with very many keys is left to the general code (the checks of the fast path are quadratic in them), with the same result', () => {
    const dims = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${String(19_999 - i).padStart(5, '0')}`, 'v']));
    const text = JSON.stringify({ metric: { name: 'cpu', dimensions: dims, timestamp: 1, value: 1 }, meta: { tenantId: 't', region: 'r' } });
    assert.equal(fastMetric(text), undefined, 'deferred');
    const few = JSON.stringify({ metric: { name: 'cpu', dimensions: { a: 'v' }, timestamp: 1, value: 1 }, meta: { tenantId: 't', region: 'r' } });
    assert.notEqual(fastMetric(few), undefined, 'a plain message takes the fast path');
    assert.deepEqual(convertMessage('metrics', Buffer.from(text)), convertGeneral('metrics', text));
  });
});
