/**
 * The converter under property-based tests (fast-check): whatever the bytes or the JSON, converting
 * never throws, and every line it emits reads as one point under InfluxDB's line protocol rules
 * (test/helpers/line-protocol.ts); a drop always says why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { convertMessage, Drop, type MessageKind } from '../../src/convert/index.js';
import { alarmMessage, metricMessage } from '../helpers/fuzz.js';
import { parseLine } from '../helpers/line-protocol.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

/** Converts; checks the result; true when it made a line. */
function checked(kind: MessageKind, value: Buffer | string): boolean {
  const c = convertMessage(kind, value);
  if (c instanceof Drop) {
    assert.match(c.reason, /\S/);
    return false;
  }
  const p = parseLine(c.line);
  if (kind === 'metrics') assert.deepEqual(p.fields.map(([k]) => k), ['value', 'value_meta']);
  else assert.equal(p.measurement, 'alarm_state_history');
  return true;
}

for (const kind of ['metrics', 'alarms'] as const) {
  test(`${kind}: arbitrary bytes never throw`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => void checked(kind, Buffer.from(bytes))), { numRuns: RUNS });
  });

  test(`${kind}: arbitrary JSON values never throw, and what is converted is a valid line`, () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void checked(kind, Buffer.from(JSON.stringify(v) ?? 'null'))), { numRuns: RUNS });
  });
}

test('metrics of the usual shape with unusual parts: a valid line or a drop, from bytes and from text alike', () => {
  let lines = 0;
  fc.assert(
    fc.property(metricMessage, (m) => {
      const made = checked('metrics', Buffer.from(m));
      assert.equal(checked('metrics', m), made, 'bytes or text: the same outcome');
      if (made) lines++;
    }),
    { numRuns: RUNS },
  );
  assert.ok(lines > RUNS / 10, `a fair share converted (${lines} of ${RUNS}), not all dropped`);
});

test('alarm transitions of the usual shape with unusual parts: a valid line or a drop', () => {
  let lines = 0;
  fc.assert(
    fc.property(alarmMessage, (m) => {
      if (checked('alarms', Buffer.from(m))) lines++;
    }),
    { numRuns: RUNS },
  );
  assert.ok(lines > RUNS / 10, `a fair share converted (${lines} of ${RUNS})`);
});
