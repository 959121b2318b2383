/**
 * The converter, rule by rule (the conformance vectors check the same code against the reference's
 * own output; these tests name each rule of the spec once, with the exact lines expected).
 *
 * Messages are built with `msg()`: plain values are JSON-encoded, `raw('1.0')` inserts JSON text
 * verbatim (for literals JSON.stringify cannot write: `1.0`, `1e400`, `-0`, `"\ud800"`), and an
 * `undefined` value leaves the key out.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  convertBatch,
  convertMessage,
  databaseFor,
  Drop,
  type MessageKind,
  type SourceBatch,
  type LineBlock,
  linesIn,
  splitLines,
} from '../../src/convert/index.js';
import { compareCodePoints, escapeTag, quoteStringField } from '../../src/convert/line.js';
import { pyFloatRepr } from '../../src/convert/python.js';

// ------------------------------------------------------------------ helpers

class Raw {
  constructor(readonly text: string) {}
}
/** JSON text inserted as it is. */
const raw = (text: string): Raw => new Raw(text);

type Value = Raw | undefined | null | boolean | number | string | Value[] | { [key: string]: Value };

function msg(x: Value): string {
  if (x instanceof Raw) return x.text;
  if (Array.isArray(x)) return `[${x.map(msg).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const entries = Object.entries(x).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${msg(v)}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

const TS = 1500000000000;

/** A metric message: `cpu{host=h1} 42.5 @TS` of tenant t1 in region r1, with fields replaced. */
function metric(fields: { [key: string]: Value } = {}, meta: { [key: string]: Value } = {}): string {
  return msg({
    metric: { name: 'cpu', dimensions: { host: 'h1' }, timestamp: TS, value: 42.5, ...fields },
    meta: { tenantId: 't1', region: 'r1', ...meta },
    creation_time: 1500000001,
  });
}

/** The line of the unchanged metric(), with the given parts. */
function metricLine(p: { series?: string; value?: string; valueMeta?: string; time?: string } = {}): string {
  return `${p.series ?? 'cpu,_region=r1,_tenant_id=t1,host=h1'} value=${p.value ?? '42.5'},value_meta=${p.valueMeta ?? '"{}"'} ${p.time ?? TS}`;
}

/** An alarm state transition, with fields of `alarm-transitioned` replaced. */
function alarm(fields: { [key: string]: Value } = {}): string {
  return msg({
    'alarm-transitioned': {
      tenantId: 't1',
      alarmId: 'a1',
      alarmDefinitionId: 'd1',
      metrics: [{ id: null, name: 'cpu', dimensions: { host: 'h1' } }],
      alarmName: 'High CPU',
      alarmDescription: '',
      oldState: 'OK',
      newState: 'ALARM',
      actionsEnabled: true,
      stateChangeReason: 'Thresholds were exceeded',
      severity: 'LOW',
      link: 'http://x/y',
      lifecycleState: 'OPEN',
      subAlarms: [
        {
          subAlarmExpression: { function: 'AVG', metricDefinition: { name: 'cpu' }, threshold: raw('10.0') },
          subAlarmState: 'ALARM',
          currentValues: [raw('5.0')],
        },
      ],
      timestamp: TS,
      ...fields,
    },
  });
}

const ALARM_LINE = String.raw`alarm_state_history,tenant_id=t1 tenant_id="t1",alarm_id="a1",metrics="[{\"id\": null, \"name\": \"cpu\", \"dimensions\": {\"host\": \"h1\"}}]",new_state="ALARM",old_state="OK",link="http://x/y",lifecycle_state="OPEN",reason="Thresholds were exceeded",reason_data="{}",sub_alarms="[{\"sub_alarm_expression\": {\"function\": \"AVG\", \"metric_definition\": {\"name\": \"cpu\"}, \"threshold\": 10.0}, \"sub_alarm_state\": \"ALARM\", \"current_values\": [5.0]}]" 1500000000000`;

function lineOf(kind: MessageKind, text: string | Buffer): string {
  const c = convertMessage(kind, text);
  assert.ok(!(c instanceof Drop), `unexpected drop: ${c instanceof Drop ? c.reason : ''}`);
  return c.line;
}

function dropReason(kind: MessageKind, text: string | Buffer | null): string {
  const c = convertMessage(kind, text);
  assert.ok(c instanceof Drop, `expected a drop, got the line ${c instanceof Drop ? '' : c.line}`);
  return c.reason;
}

/** The string fields of a line (key -> unescaped value), in the order they appear. */
function stringFields(line: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of line.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) {
    out.push([m[1], m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))]);
  }
  return out;
}

function alarmField(text: string, key: string): string {
  const f = stringFields(lineOf('alarms', text)).find(([k]) => k === key);
  assert.ok(f, `no field ${key}`);
  return f[1];
}

// ------------------------------------------------------------------ metrics: happy path

describe('metric: the line', () => {
  test('plain metric -> measurement, sorted tags, value, value_meta, ms timestamp', () => {
    assert.equal(lineOf('metrics', metric()), 'cpu,_region=r1,_tenant_id=t1,host=h1 value=42.5,value_meta="{}" 1500000000000');
  });

  test('Kafka bytes (Buffer) convert like text', () => {
    assert.equal(lineOf('metrics', Buffer.from(metric(), 'utf8')), metricLine());
  });

  test('tenant id is returned with the point', () => {
    const c = convertMessage('metrics', metric({}, { tenantId: 'abc' }));
    assert.ok(!(c instanceof Drop));
    assert.equal(c.tenantId, 'abc');
  });
});

// ------------------------------------------------------------------ escaping

const TAG_ESCAPES: { name: string; input: string; escaped: string }[] = [
  { name: 'space -> "\\ "', input: 'a b', escaped: String.raw`a\ b` },
  { name: 'comma -> "\\,"', input: 'a,b', escaped: String.raw`a\,b` },
  { name: 'equals -> "\\="', input: 'a=b', escaped: String.raw`a\=b` },
  { name: 'backslash -> "\\\\"', input: String.raw`a\b`, escaped: String.raw`a\\b` },
  { name: 'backslash before a space: both escaped', input: String.raw`a\ b`, escaped: String.raw`a\\\ b` },
  { name: 'all four together', input: String.raw`x y,z=w\v`, escaped: String.raw`x\ y\,z\=w\\v` },
  { name: 'nothing special: unchanged', input: 'cpu.idle_perc-1:"q"', escaped: 'cpu.idle_perc-1:"q"' },
];

describe('escaping: measurement (metric name)', () => {
  for (const c of TAG_ESCAPES) {
    test(c.name, () => {
      assert.equal(
        lineOf('metrics', metric({ name: c.input })),
        metricLine({ series: `${c.escaped},_region=r1,_tenant_id=t1,host=h1` }),
      );
    });
  }
});

describe('escaping: tag key (dimension name)', () => {
  for (const c of TAG_ESCAPES) {
    test(c.name, () => {
      // Keys start with a lower-case letter, so they sort after _region and _tenant_id.
      assert.equal(
        lineOf('metrics', metric({ dimensions: { [c.input]: 'v' } })),
        metricLine({ series: `cpu,_region=r1,_tenant_id=t1,${c.escaped}=v` }),
      );
    });
  }
});

describe('escaping: tag value (dimension value)', () => {
  for (const c of TAG_ESCAPES) {
    test(c.name, () => {
      assert.equal(
        lineOf('metrics', metric({ dimensions: { host: c.input } })),
        metricLine({ series: `cpu,_region=r1,_tenant_id=t1,host=${c.escaped}` }),
      );
    });
  }
  test('tenant id and region are escaped as tag values', () => {
    assert.equal(
      lineOf('metrics', metric({ dimensions: undefined }, { tenantId: 'a b', region: 'x,y=z' })),
      metricLine({ series: String.raw`cpu,_region=x\,y\=z,_tenant_id=a\ b` }),
    );
  });
});

describe('escaping: escapeTag / quoteStringField directly', () => {
  for (const c of TAG_ESCAPES) test(`escapeTag: ${c.name}`, () => assert.equal(escapeTag(c.input), c.escaped));

  const FIELD: { name: string; input: string; quoted: string }[] = [
    { name: 'plain text is only quoted', input: 'a b,c=d', quoted: '"a b,c=d"' },
    { name: 'double quote -> \\"', input: 'say "hi"', quoted: String.raw`"say \"hi\""` },
    { name: 'backslash -> \\\\', input: String.raw`C:\dir`, quoted: String.raw`"C:\\dir"` },
    { name: 'newline -> \\n', input: 'a\nb', quoted: String.raw`"a\nb"` },
    { name: 'backslash before a quote: both escaped', input: String.raw`\"`, quoted: String.raw`"\\\""` },
    { name: 'empty string', input: '', quoted: '""' },
  ];
  for (const c of FIELD) test(`quoteStringField: ${c.name}`, () => assert.equal(quoteStringField(c.input), c.quoted));
});

describe('escaping: string fields in lines', () => {
  const REASONS: { name: string; reason: string; field: string }[] = [
    { name: 'double quote', reason: 'value "high"', field: String.raw`reason="value \"high\""` },
    { name: 'backslash', reason: String.raw`path C:\tmp`, field: String.raw`reason="path C:\\tmp"` },
    { name: 'newline', reason: 'line1\nline2', field: String.raw`reason="line1\nline2"` },
    { name: 'space, comma and equals stay as they are', reason: 'a b,c=d', field: 'reason="a b,c=d"' },
  ];
  for (const c of REASONS) {
    test(`alarm reason with ${c.name}`, () => {
      assert.equal(
        lineOf('alarms', alarm({ stateChangeReason: c.reason })),
        ALARM_LINE.replace('reason="Thresholds were exceeded"', c.field),
      );
    });
  }

  test('value_meta JSON text: its quotes and backslashes escaped again', () => {
    // json.dumps gives {"msg": "say \"hi\" C:\\x"}; the field escapes each \ and ".
    assert.equal(
      lineOf('metrics', metric({ value_meta: { msg: String.raw`say "hi" C:\x` } })),
      metricLine({ valueMeta: String.raw`"{\"msg\": \"say \\\"hi\\\" C:\\\\x\"}"` }),
    );
  });
});

// ------------------------------------------------------------------ tags

describe('tags: order and content', () => {
  test('sorted by key: digits, upper case, _region, _tenant_id, lower case, ~', () => {
    assert.equal(
      lineOf('metrics', metric({ dimensions: { b: '1', '~': '2', a: '3', B: '4', '0': '5' } })),
      metricLine({ series: 'cpu,0=5,B=4,_region=r1,_tenant_id=t1,a=3,b=1,~=2' }),
    );
  });

  test('code point order: U+FF5E sorts before U+1F600 (UTF-16 order says otherwise)', () => {
    assert.ok('\u{1F600}' < '\uff5e', 'precondition: JavaScript compares UTF-16 code units');
    assert.equal(
      lineOf('metrics', metric({ dimensions: { '\u{1F600}': 'emoji', '\uff5e': 'tilde' } })),
      metricLine({ series: 'cpu,_region=r1,_tenant_id=t1,\uff5e=tilde,\u{1F600}=emoji' }),
    );
  });

  test('compareCodePoints agrees with code point order', () => {
    const keys = ['\u{1F600}', '\uffff', '\ue000', '\uff5e', 'a', '\u{10000}', 'ab', ''];
    const byCodePoint = [...keys].sort((x, y) => {
      const a = [...x].map((c) => c.codePointAt(0)!);
      const b = [...y].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
      return a.length - b.length;
    });
    assert.deepEqual([...keys].sort(compareCodePoints), byCodePoint);
    assert.deepEqual(byCodePoint, ['', 'a', 'ab', '\ue000', '\uff5e', '\uffff', '\u{10000}', '\u{1F600}']);
  });

  test('dimensions missing -> only _region and _tenant_id', () => {
    assert.equal(lineOf('metrics', metric({ dimensions: undefined })), metricLine({ series: 'cpu,_region=r1,_tenant_id=t1' }));
  });

  test('dimensions empty object -> only _region and _tenant_id', () => {
    assert.equal(lineOf('metrics', metric({ dimensions: {} })), metricLine({ series: 'cpu,_region=r1,_tenant_id=t1' }));
  });

  test('_tenant_id and _region dimensions are overridden by meta.tenantId and meta.region', () => {
    assert.equal(
      lineOf('metrics', metric({ dimensions: { _tenant_id: 'evil', host: 'h1', _region: 'elsewhere' } })),
      metricLine({ series: 'cpu,_region=r1,_tenant_id=t1,host=h1' }),
    );
  });

  const NON_STRING: { name: string; value: Value; tag: string }[] = [
    { name: 'true -> True', value: true, tag: 'True' },
    { name: 'false -> False', value: false, tag: 'False' },
    { name: 'null -> None', value: null, tag: 'None' },
    { name: 'integer -> its digits', value: 5, tag: '5' },
    { name: 'float literal 1.0 -> 1.0', value: raw('1.0'), tag: '1.0' },
    { name: 'float literal 2.50 -> 2.5', value: raw('2.50'), tag: '2.5' },
    { name: 'object -> Python dict repr (escaped)', value: { a: 1 }, tag: String.raw`{'a':\ 1}` },
    { name: 'list -> Python list repr', value: ['x'], tag: "['x']" },
  ];
  for (const c of NON_STRING) {
    test(`non-string dimension value: ${c.name}`, () => {
      assert.equal(
        lineOf('metrics', metric({ dimensions: { host: c.value } })),
        metricLine({ series: `cpu,_region=r1,_tenant_id=t1,host=${c.tag}` }),
      );
    });
  }
});

// ------------------------------------------------------------------ value

describe('metric.value: Python float(), printed as repr(float)', () => {
  const ACCEPTED: { name: string; value: Value; printed: string; todo?: string }[] = [
    { name: 'integer 42 -> 42.0', value: 42, printed: '42.0' },
    { name: 'float 42.5', value: 42.5, printed: '42.5' },
    { name: 'negative -3 -> -3.0', value: -3, printed: '-3.0' },
    { name: 'integer 0 -> 0.0', value: 0, printed: '0.0' },
    { name: 'integer literal -0 -> 0.0 (an int in Python)', value: raw('-0'), printed: '0.0' },
    { name: 'float literal -0.0 -> -0.0', value: raw('-0.0'), printed: '-0.0' },
    { name: 'float literal 10.0 -> 10.0', value: raw('10.0'), printed: '10.0' },
    { name: '1e16 -> 1e+16', value: raw('1e16'), printed: '1e+16' },
    { name: '1e15 -> 1000000000000000.0', value: raw('1e15'), printed: '1000000000000000.0' },
    { name: '0.00001 -> 1e-05', value: raw('0.00001'), printed: '1e-05' },
    { name: '0.0001 -> 0.0001', value: raw('0.0001'), printed: '0.0001' },
    { name: 'integer beyond 2^53 -> rounded float', value: raw('123456789012345678'), printed: '1.2345678901234568e+17' },
    { name: 'true -> 1.0', value: true, printed: '1.0' },
    { name: 'false -> 0.0', value: false, printed: '0.0' },
    { name: 'numeric string "42.5"', value: '42.5', printed: '42.5' },
    { name: 'numeric string with spaces " 42 "', value: ' 42 ', printed: '42.0' },
    { name: 'numeric string "1e3"', value: '1e3', printed: '1000.0' },
    { name: 'numeric string with underscore "1_000"', value: '1_000', printed: '1000.0' },
    { name: 'numeric string "+1.5"', value: '+1.5', printed: '1.5' },
    { name: 'numeric string ".5"', value: '.5', printed: '0.5' },
    { name: 'numeric string "5."', value: '5.', printed: '5.0' },
    { name: 'numeric string "-0" -> -0.0', value: '-0', printed: '-0.0' },
    { name: 'Arabic-Indic digits "١٢٣" -> 123.0', value: '١٢٣', printed: '123.0' },
    {
      name: 'string with leading U+0085 (whitespace to Python) -> 42.0',
      value: '\u008542',
      printed: '42.0',
    },
  ];
  for (const c of ACCEPTED) {
    test(c.name, { todo: c.todo }, () => {
      assert.equal(lineOf('metrics', metric({ value: c.value })), metricLine({ value: c.printed }));
    });
  }

  const REJECTED: { name: string; value: Value; todo?: string }[] = [
    { name: 'null', value: null },
    { name: 'empty string', value: '' },
    { name: 'blank string', value: '   ' },
    { name: '"abc"', value: 'abc' },
    { name: 'object', value: { v: 1 } },
    { name: 'empty list', value: [] },
    { name: 'list', value: [1] },
    { name: 'hex "0x10"', value: '0x10' },
    { name: 'double underscore "1__000"', value: '1__000' },
    { name: 'leading underscore "_1"', value: '_1' },
    { name: 'trailing underscore "1_"', value: '1_' },
    { name: '"nan" (NaN cannot be stored)', value: 'nan' },
    { name: '"NaN"', value: 'NaN' },
    { name: '"inf" (infinity cannot be stored)', value: 'inf' },
    { name: '"-Infinity"', value: '-Infinity' },
    { name: '1e400 (overflows to inf)', value: raw('1e400') },
    { name: '-1e400 (overflows to -inf)', value: raw('-1e400') },
    {
      name: 'string with leading U+FEFF (not whitespace to Python)',
      value: '\ufeff42',
    },
  ];
  for (const c of REJECTED) {
    test(`dropped: ${c.name}`, { todo: c.todo }, () => {
      assert.match(dropReason('metrics', metric({ value: c.value })), /metric\.value/);
    });
  }
});

// ------------------------------------------------------------------ timestamp

describe('metric.timestamp: Python int(), milliseconds, InfluxDB range', () => {
  const ACCEPTED: { name: string; timestamp: Value; printed: string }[] = [
    { name: 'integer ms', timestamp: TS, printed: '1500000000000' },
    { name: 'float truncated toward zero (positive)', timestamp: 1500000000000.9, printed: '1500000000000' },
    { name: 'float truncated toward zero (negative)', timestamp: -1500.9, printed: '-1500' },
    { name: 'zero', timestamp: 0, printed: '0' },
    { name: 'exponent float 1.5e12', timestamp: raw('1.5e12'), printed: '1500000000000' },
    { name: 'string of digits', timestamp: '1500000000000', printed: '1500000000000' },
    { name: 'string of digits with spaces', timestamp: ' 1500000000000 ', printed: '1500000000000' },
    { name: 'largest storable (year 2262)', timestamp: 9223372036854, printed: '9223372036854' },
    { name: 'smallest storable (year 1677)', timestamp: -9223372036854, printed: '-9223372036854' },
  ];
  for (const c of ACCEPTED) {
    test(c.name, () => {
      assert.equal(lineOf('metrics', metric({ timestamp: c.timestamp })), metricLine({ time: c.printed }));
    });
  }

  const REJECTED: { name: string; timestamp: Value }[] = [
    { name: 'string "12.5"', timestamp: '12.5' },
    { name: 'string "1e3"', timestamp: '1e3' },
    { name: 'empty string', timestamp: '' },
    { name: 'string "abc"', timestamp: 'abc' },
    { name: 'null', timestamp: null },
    { name: 'list', timestamp: [TS] },
    { name: 'object', timestamp: { ms: TS } },
    { name: 'one ms after the largest storable', timestamp: 9223372036855 },
    { name: 'one ms before the smallest storable', timestamp: -9223372036855 },
    { name: 'nanoseconds (out of range in ms)', timestamp: 1500000000000000000 },
    { name: '1e300', timestamp: raw('1e300') },
    { name: '1e400 (inf)', timestamp: raw('1e400') },
  ];
  for (const c of REJECTED) {
    test(`dropped: ${c.name}`, () => {
      assert.match(dropReason('metrics', metric({ timestamp: c.timestamp })), /metric\.timestamp/);
    });
  }
});

// ------------------------------------------------------------------ value_meta

describe('metric.value_meta: json.dumps(ensure_ascii=False) text in a string field', () => {
  const CASES: { name: string; valueMeta: Value; field: string }[] = [
    { name: 'missing -> "{}"', valueMeta: undefined, field: '"{}"' },
    { name: 'null -> "{}"', valueMeta: null, field: '"{}"' },
    { name: 'empty object -> "{}"', valueMeta: {}, field: '"{}"' },
    { name: 'empty list -> "{}"', valueMeta: [], field: '"{}"' },
    { name: 'empty string -> "{}"', valueMeta: '', field: '"{}"' },
    { name: 'simple object, ": " and ", " separators', valueMeta: { rc: '200', msg: 'ok' }, field: String.raw`"{\"rc\": \"200\", \"msg\": \"ok\"}"` },
    {
      name: 'key order kept, integer-like keys included',
      // raw: a JavaScript object would move the integer-like keys first
      valueMeta: raw('{"b": 1, "2": 2, "a": 3, "1": 4}'),
      field: String.raw`"{\"b\": 1, \"2\": 2, \"a\": 3, \"1\": 4}"`,
    },
    {
      name: 'numbers as Python prints them (1.0 stays, 1e16 -> 1e+16, big ints exact)',
      valueMeta: { f: raw('1.0'), i: 10, big: raw('12345678901234567890'), e: raw('1e16'), s: raw('0.00001') },
      field: String.raw`"{\"f\": 1.0, \"i\": 10, \"big\": 12345678901234567890, \"e\": 1e+16, \"s\": 1e-05}"`,
    },
    {
      name: 'nested objects and lists, null and true',
      valueMeta: { o: { k: null, t: true }, l: [1, 'a'] },
      field: String.raw`"{\"o\": {\"k\": null, \"t\": true}, \"l\": [1, \"a\"]}"`,
    },
    { name: 'non-ASCII written as is', valueMeta: { 'ü': '日本 😀' }, field: '"{\\"ü\\": \\"日本 😀\\"}"' },
    { name: 'newline: JSON \\n, then its backslash escaped', valueMeta: { m: 'a\nb' }, field: String.raw`"{\"m\": \"a\\nb\"}"` },
    { name: 'white space of the input is not kept', valueMeta: raw('{ "a" :  1 ,"b":[ 1,2 ] }'), field: String.raw`"{\"a\": 1, \"b\": [1, 2]}"` },
  ];
  for (const c of CASES) {
    test(c.name, () => {
      assert.equal(lineOf('metrics', metric({ value_meta: c.valueMeta })), metricLine({ valueMeta: c.field }));
    });
  }
});

// ------------------------------------------------------------------ metric drops

describe('metric: dropped, with a reason naming the field', () => {
  const DROPS: { name: string; text: string | Buffer | null; reason: RegExp }[] = [
    { name: 'metric missing', text: msg({ meta: { tenantId: 't1', region: 'r1' } }), reason: /metric/ },
    { name: 'metric not an object', text: msg({ metric: 'cpu', meta: { tenantId: 't1', region: 'r1' } }), reason: /metric/ },
    { name: 'metric is a list', text: msg({ metric: [], meta: { tenantId: 't1', region: 'r1' } }), reason: /metric/ },
    { name: 'meta missing', text: msg({ metric: { name: 'cpu', timestamp: TS, value: 1 } }), reason: /meta/ },
    { name: 'meta null', text: msg({ metric: { name: 'cpu', timestamp: TS, value: 1 }, meta: null }), reason: /meta/ },
    { name: 'metric.name missing', text: metric({ name: undefined }), reason: /metric\.name/ },
    { name: 'meta.tenantId missing', text: metric({}, { tenantId: undefined }), reason: /meta\.tenantId/ },
    { name: 'meta.region missing', text: metric({}, { region: undefined }), reason: /meta\.region/ },
    { name: 'metric.timestamp missing', text: metric({ timestamp: undefined }), reason: /metric\.timestamp/ },
    { name: 'metric.value missing', text: metric({ value: undefined }), reason: /metric\.value/ },
    { name: 'dimensions null', text: metric({ dimensions: null }), reason: /metric\.dimensions/ },
    { name: 'dimensions a list', text: metric({ dimensions: ['a'] }), reason: /metric\.dimensions/ },
    { name: 'dimensions a string', text: metric({ dimensions: 'host=h1' }), reason: /metric\.dimensions/ },
    { name: 'name empty', text: metric({ name: '' }), reason: /metric\.name.*empty/ },
    { name: 'name with a newline', text: metric({ name: 'cpu\nidle' }), reason: /metric\.name.*newline/ },
    { name: 'dimension key empty', text: metric({ dimensions: { '': 'v' } }), reason: /dimension.*empty/ },
    { name: 'dimension key with a newline', text: metric({ dimensions: { 'a\nb': 'v' } }), reason: /dimension name "a\\nb".*newline/ },
    { name: 'dimension key ending in a backslash', text: metric({ dimensions: { 'k\\': 'v' } }), reason: /dimension name "k\\\\".*backslash/ },
    { name: 'dimension named time (InfluxDB refuses it as a tag key)', text: metric({ dimensions: { time: 'x' } }), reason: /dimension name "time" is a word InfluxDB refuses as a tag key/ },
    { name: 'name of NUL characters only (InfluxDB skips them)', text: metric({ name: '\u0000' }), reason: /metric\.name.*NUL/ },
    { name: 'name of a tab and a NUL', text: metric({ name: '\t\u0000' }), reason: /metric\.name.*NUL/ },
    { name: 'name starting with NUL then # (a comment)', text: metric({ name: '\u0000#cpu' }), reason: /metric\.name.*comment/ },
    { name: 'dimension value empty', text: metric({ dimensions: { host: '' } }), reason: /dimension "host".*empty/ },
    { name: 'dimension value with a newline', text: metric({ dimensions: { host: 'h\n1' } }), reason: /dimension "host".*newline/ },
    { name: 'dimension value ending in a backslash', text: metric({ dimensions: { host: 'h1\\' } }), reason: /dimension "host".*backslash/ },
    { name: 'tenantId empty (empty _tenant_id tag)', text: metric({}, { tenantId: '' }), reason: /_tenant_id.*empty/ },
    { name: 'region empty (empty _region tag)', text: metric({}, { region: '' }), reason: /_region.*empty/ },
    { name: 'tenantId ending in a backslash', text: metric({}, { tenantId: 't1\\' }), reason: /_tenant_id.*backslash/ },
    { name: 'lone surrogate in the name', text: metric({ name: raw('"cpu\\ud800"') }), reason: /surrogate/ },
    { name: 'lone surrogate in a dimension value', text: metric({ dimensions: { host: raw('"\\udc00"') } }), reason: /surrogate/ },
    { name: 'value_meta holding 1e400 (not JSON-serialisable)', text: metric({ value_meta: { x: raw('1e400') } }), reason: /metric\.value_meta/ },
    { name: 'not JSON', text: 'not json', reason: /JSON/ },
    { name: 'JSON but not an object', text: '[1, 2]', reason: /object/ },
    { name: 'empty value', text: '', reason: /empty/ },
    { name: 'null value (tombstone)', text: null, reason: /empty/ },
    { name: 'invalid UTF-8', text: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), reason: /UTF-8/ },
  ];
  for (const c of DROPS) {
    test(c.name, () => assert.match(dropReason('metrics', c.text), c.reason));
  }
});

// ------------------------------------------------------------------ alarms

describe('alarm: alarm_state_history line', () => {
  test('full line: tag tenant_id, string fields in the reference order', () => {
    assert.equal(lineOf('alarms', alarm()), ALARM_LINE);
  });

  test('field order: tenant_id, alarm_id, metrics, new_state, old_state, link, lifecycle_state, reason, reason_data, sub_alarms', () => {
    assert.deepEqual(
      stringFields(lineOf('alarms', alarm())).map(([k]) => k),
      ['tenant_id', 'alarm_id', 'metrics', 'new_state', 'old_state', 'link', 'lifecycle_state', 'reason', 'reason_data', 'sub_alarms'],
    );
  });

  test('reason is stateChangeReason; reason_data is always "{}"', () => {
    const text = alarm({ stateChangeReason: 'why', reasonData: { a: 1 } });
    assert.equal(alarmField(text, 'reason'), 'why');
    assert.equal(alarmField(text, 'reason_data'), '{}');
  });

  test('metrics: JSON text as Python writes it (floats and key order kept)', () => {
    const text = alarm({ metrics: [{ name: 'cpu', dimensions: { z: '1', a: '2' }, value: raw('5.0') }] });
    assert.equal(alarmField(text, 'metrics'), '[{"name": "cpu", "dimensions": {"z": "1", "a": "2"}, "value": 5.0}]');
  });

  test('tenant id tag is escaped, tenant_id field is quoted', () => {
    const line = lineOf('alarms', alarm({ tenantId: 'a b,c' }));
    assert.ok(line.startsWith(String.raw`alarm_state_history,tenant_id=a\ b\,c tenant_id="a b,c",`), line);
  });

  const DEFAULTS: { name: string; fields: { [key: string]: Value }; link: string; lifecycle: string }[] = [
    { name: 'link missing -> ""', fields: { link: undefined }, link: '', lifecycle: 'OPEN' },
    { name: 'link null -> ""', fields: { link: null }, link: '', lifecycle: 'OPEN' },
    { name: 'lifecycleState missing -> ""', fields: { lifecycleState: undefined }, link: 'http://x/y', lifecycle: '' },
    { name: 'lifecycleState null -> ""', fields: { lifecycleState: null }, link: 'http://x/y', lifecycle: '' },
    { name: 'both missing', fields: { link: undefined, lifecycleState: undefined }, link: '', lifecycle: '' },
  ];
  for (const c of DEFAULTS) {
    test(c.name, () => {
      assert.equal(
        lineOf('alarms', alarm(c.fields)),
        ALARM_LINE.replace('link="http://x/y"', `link="${c.link}"`).replace('lifecycle_state="OPEN"', `lifecycle_state="${c.lifecycle}"`),
      );
    });
  }
});

describe('alarm: sub_alarms', () => {
  test('the four keys renamed to snake_case at any depth', () => {
    const text = alarm({
      subAlarms: [
        {
          subAlarmExpression: { metricDefinition: { name: 'cpu' } },
          nested: { deeper: [{ currentValues: [1], subAlarmState: 'OK', other: { metricDefinition: {} } }] },
        },
      ],
    });
    assert.equal(
      alarmField(text, 'sub_alarms'),
      '[{"sub_alarm_expression": {"metric_definition": {"name": "cpu"}}, "nested": {"deeper": [{"current_values": [1], "sub_alarm_state": "OK", "other": {"metric_definition": {}}}]}}]',
    );
  });

  test('string values equal to (or quoting) those names are not renamed', () => {
    const text = alarm({
      subAlarms: [
        {
          subAlarmState: 'subAlarmState',
          note: 'currentValues',
          list: ['metricDefinition', 'subAlarmExpression'],
          quoted: '"metricDefinition": 1',
        },
      ],
    });
    assert.equal(
      alarmField(text, 'sub_alarms'),
      '[{"sub_alarm_state": "subAlarmState", "note": "currentValues", "list": ["metricDefinition", "subAlarmExpression"], "quoted": "\\"metricDefinition\\": 1"}]',
    );
  });

  test('other camelCase keys are kept', () => {
    const text = alarm({ subAlarms: [{ subAlarmId: 's1', alarmDefinitionId: 'd1' }] });
    assert.equal(alarmField(text, 'sub_alarms'), '[{"subAlarmId": "s1", "alarmDefinitionId": "d1"}]');
  });

  for (const [name, value] of [['empty list', []], ['null', null]] as [string, Value][]) {
    test(`${name} -> "[]"`, () => {
      assert.equal(lineOf('alarms', alarm({ subAlarms: value })), ALARM_LINE.replace(/sub_alarms=".*" /, 'sub_alarms="[]" '));
    });
  }
});

describe('alarm: dropped, with a reason naming the field', () => {
  for (const key of ['alarmId', 'metrics', 'newState', 'oldState', 'stateChangeReason', 'tenantId', 'timestamp', 'subAlarms']) {
    test(`${key} missing`, () => {
      assert.match(dropReason('alarms', alarm({ [key]: undefined })), new RegExp(`alarm-transitioned\\.${key}\\b.*missing`));
    });
  }
  const OTHER: { name: string; text: string; reason: RegExp }[] = [
    { name: 'alarm-transitioned missing', text: msg({ other: {} }), reason: /alarm-transitioned/ },
    { name: 'alarm-transitioned not an object', text: msg({ 'alarm-transitioned': 'x' }), reason: /alarm-transitioned/ },
    { name: 'message not an object', text: '"alarm"', reason: /object/ },
    { name: 'timestamp "12.5"', text: alarm({ timestamp: '12.5' }), reason: /alarm-transitioned\.timestamp/ },
    { name: 'timestamp null', text: alarm({ timestamp: null }), reason: /alarm-transitioned\.timestamp/ },
    { name: 'timestamp out of range', text: alarm({ timestamp: 9223372036855 }), reason: /alarm-transitioned\.timestamp/ },
    { name: 'tenantId empty', text: alarm({ tenantId: '' }), reason: /alarm-transitioned\.tenantId.*empty/ },
    { name: 'tenantId with a newline', text: alarm({ tenantId: 't\n1' }), reason: /alarm-transitioned\.tenantId.*newline/ },
    { name: 'tenantId ending in a backslash', text: alarm({ tenantId: 't1\\' }), reason: /alarm-transitioned\.tenantId.*backslash/ },
    { name: 'lone surrogate in reason', text: alarm({ stateChangeReason: raw('"x\\ud800"') }), reason: /surrogate/ },
  ];
  for (const c of OTHER) {
    test(c.name, () => assert.match(dropReason('alarms', c.text), c.reason));
  }
});

// ------------------------------------------------------------------ databases, batches

describe('databaseFor', () => {
  test('db_per_tenant off -> database_name', () => {
    assert.equal(databaseFor({ databaseName: 'mon', dbPerTenant: false }, 't1'), 'mon');
  });
  test('db_per_tenant on -> <database_name>_<tenantId>', () => {
    assert.equal(databaseFor({ databaseName: 'mon', dbPerTenant: true }, 't1'), 'mon_t1');
  });
});

function source(partition: number, messages: [string, string | null][]): SourceBatch {
  return { partition, messages: messages.map(([offset, v]) => ({ offset, value: v === null ? null : Buffer.from(v, 'utf8') })) };
}

describe('convertBatch', () => {
  const batch = source(3, [
    ['10', metric({}, { tenantId: 't1' })],
    ['11', 'not json'],
    ['12', metric({ name: 'mem' }, { tenantId: 't2' })],
    ['13', null],
    ['14', metric({ name: 'disk' }, { tenantId: 't1' })],
  ]);
  const cpu = metricLine();
  const mem = metricLine({ series: 'mem,_region=r1,_tenant_id=t2,host=h1' });
  const disk = metricLine({ series: 'disk,_region=r1,_tenant_id=t1,host=h1' });

  test('db_per_tenant off: all lines in database_name, in message order', () => {
    const b = convertBatch('metrics', batch, { databaseName: 'mon', dbPerTenant: false });
    assert.deepEqual(linesOf(b.lines), [['mon', [cpu, mem, disk]]]);
    assert.equal(pointsIn(b.lines), 3);
    assert.equal(b.messageCount, 5);
  });

  test('db_per_tenant on: lines grouped per tenant database', () => {
    const b = convertBatch('metrics', batch, { databaseName: 'mon', dbPerTenant: true });
    assert.deepEqual(linesOf(b.lines), [['mon_t1', [cpu, disk]], ['mon_t2', [mem]]]);
    assert.equal(pointsIn(b.lines), 3);
  });

  test('origins: kept only when asked, the message of each line per database', () => {
    assert.equal(convertBatch('metrics', batch, { databaseName: 'mon', dbPerTenant: true }).origins, undefined);
    const b = convertBatch('metrics', batch, { databaseName: 'mon', dbPerTenant: true }, true);
    assert.deepEqual(
      [...b.origins!].map(([db, messages]) => [db, messages.map((m) => m.offset)]),
      [['mon_t1', ['10', '14']], ['mon_t2', ['12']]],
    );
    assert.equal(b.origins!.get('mon_t2')![0], batch.messages[2]);
  });

  test('drops carry partition and message, and a reason', () => {
    const b = convertBatch('metrics', batch, { databaseName: 'mon', dbPerTenant: false });
    assert.deepEqual(b.drops.map(({ partition, message }) => ({ partition, offset: message.offset })), [
      { partition: 3, offset: '11' },
      { partition: 3, offset: '13' },
    ]);
    assert.match(b.drops[0].reason, /JSON/);
    assert.match(b.drops[1].reason, /empty/);
  });

  test('nextOffset = last offset + 1', () => {
    const b = convertBatch('metrics', batch, { databaseName: 'mon', dbPerTenant: false });
    assert.equal(b.partition, 3);
    assert.equal(b.nextOffset, '15');
  });

  test('nextOffset = last offset + 1 even when the last message is dropped', () => {
    const b = convertBatch('metrics', source(0, [['7', metric()], ['8', 'oops']]), { databaseName: 'mon', dbPerTenant: false });
    assert.equal(b.nextOffset, '9');
    assert.equal(pointsIn(b.lines), 1);
  });

  test('nextOffset is exact beyond 2^53', () => {
    const b = convertBatch('metrics', source(0, [['9007199254740993', metric()]]), { databaseName: 'mon', dbPerTenant: false });
    assert.equal(b.nextOffset, '9007199254740994');
  });

  test('all dropped: no lines, offsets still advance', () => {
    const b = convertBatch('metrics', source(1, [['0', 'x'], ['1', '{}']]), { databaseName: 'mon', dbPerTenant: false });
    assert.equal(b.lines.size, 0);
    assert.equal(pointsIn(b.lines), 0);
    assert.equal(b.drops.length, 2);
    assert.equal(b.nextOffset, '2');
  });

  test('alarms: grouped by alarm tenant', () => {
    const b = convertBatch('alarms', source(0, [['0', alarm()], ['1', alarm({ tenantId: 't2' })]]), { databaseName: 'mon', dbPerTenant: true });
    assert.deepEqual([...b.lines.keys()], ['mon_t1', 'mon_t2']);
    assert.deepEqual(b.lines.get('mon_t1'), { text: ALARM_LINE, count: 1 });
  });
});

// ------------------------------------------------------------------ pyFloatRepr

describe('pyFloatRepr = CPython repr(float)', () => {
  // Right-hand sides are what `python3 -c 'print(repr(x))'` prints (CPython 3.11).
  const TABLE: [number, string][] = [
    [0.1, '0.1'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [1e-5, '1e-05'],
    [1e-4, '0.0001'],
    [-0, '-0.0'],
    [0, '0.0'],
    [123456789012345678, '1.2345678901234568e+17'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [42, '42.0'],
    [-42.5, '-42.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e22, '1e+22'],
    [1.5e-7, '1.5e-07'],
    [9999999999999998, '9999999999999998.0'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  for (const [x, repr] of TABLE) {
    test(`${Object.is(x, -0) ? '-0' : String(x)} -> ${repr}`, () => assert.equal(pyFloatRepr(x), repr));
  }
});

describe('messages that would make conversion throw are dropped, never fatal', () => {
  const wrap = (metric: string) => `{"metric":${metric},"meta":{"tenantId":"t","region":"r"}}`;
  test('a numeric dimension beyond a float', () => {
    const c = convertMessage('metrics', wrap('{"name":"x","dimensions":{"a":1e999},"timestamp":1,"value":1}'));
    assert.ok(c instanceof Drop);
    assert.match(c.reason, /out of range/);
  });
  test('value_meta nested 6,000 deep', () => {
    const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    const c = convertMessage('metrics', wrap(`{"name":"x","timestamp":1,"value":1,"value_meta":${deep}}`));
    assert.ok(c instanceof Drop);
    assert.match(c.reason, /cannot be converted/);
  });
});

/** Lines over all databases. */
function pointsIn(lines: ReadonlyMap<string, LineBlock>): number {
  return linesIn(lines.values());
}

/** Each database's block, split into its lines. */
function linesOf(lines: ReadonlyMap<string, LineBlock>): [string, string[]][] {
  return [...lines].map(([db, block]) => [db, splitLines(block)]);
}
