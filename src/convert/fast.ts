/**
 * Fast paths of the converter for plain messages: one pass over the message's text, no JSON.parse,
 * no intermediate objects; the line is built straight from the text.
 *
 * A fast path only ever returns a line that the general code (metric.ts, alarm.ts) would return
 * for the same text. Whenever a message is anything but plain, it returns undefined and the
 * general code decides, drops included. Plain means:
 *   - the text holds no backslash and no control character (so no string has an escape, every
 *     string ends at the next `"`, and a string's text is its value and already its JSON form);
 *   - it is valid JSON (checked here, strictly, for the whole text) and no key that is used
 *     appears twice in its object;
 *   - every field used has the ordinary type (text fields strings, dimensions strings, timestamp
 *     an integer literal, value a finite number, value_meta null or an object, ...);
 *   - nothing the general code would drop (empty tag, unstorable name, time out of range, ...).
 * The text must be well formed UTF-16 (no lone surrogate): true of text decoded from bytes.
 */
import { compareCodePoints } from './line.js';
import type { Point } from './message.js';
import { pyFloatRepr } from './python.js';

/** A backslash or a control character: the text is left to the general code. */
const NOT_PLAIN = /[\\\x00-\x1f]/;

// char codes
const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const SPACE = 32;

const MAX_DEPTH = 64;
/** More keys in one object than this: left to the general code (the fast path's checks are quadratic in them). */
const MAX_KEYS = 64;
/** Texts longer than this are not cached (the caches are bounded by entries, so entries stay small). */
const MAX_CACHED_CHARS = 2048;
// InfluxDB's time range in ms (line.ts storableTime)
const MIN_TIME_MS = -9_223_372_036_854;
const MAX_TIME_MS = 9_223_372_036_854;

/** The text being read, and the position in it. */
let t = '';
let p = 0;

function ws(): void {
  // A plain text has no control characters: the only white space is the space.
  while (t.charCodeAt(p) === SPACE) p++;
}

/** At a `"`: the string's contents (p after the closing quote), or undefined. */
function readString(): string | undefined {
  const end = t.indexOf('"', p + 1);
  if (end < 0) return undefined;
  const s = t.slice(p + 1, end);
  p = end + 1;
  return s;
}

/** At a `"`: past the string; false when it has no end. */
function skipString(): boolean {
  const end = t.indexOf('"', p + 1);
  p = end + 1;
  return end >= 0;
}

/** At an object key: reads it and the `:` after it; p at the value. */
function readKey(): string | undefined {
  if (t.charCodeAt(p) !== QUOTE) return undefined;
  const key = readString();
  if (key === undefined) return undefined;
  ws();
  if (t.charCodeAt(p) !== COLON) return undefined;
  p++;
  ws();
  return key;
}

/** readKey without the key. */
function skipKey(): boolean {
  if (t.charCodeAt(p) !== QUOTE || !skipString()) return false;
  ws();
  if (t.charCodeAt(p) !== COLON) return false;
  p++;
  ws();
  return true;
}

/** After a value in an object or array: true at the `,` before the next (p after it), false at the close (p after it). */
function more(close: number): boolean | undefined {
  ws();
  const c = t.charCodeAt(p);
  p++;
  if (c === COMMA) {
    ws();
    return true;
  }
  return c === close ? false : undefined;
}

/** At `{` or `[`: past it; true when the container is empty (then past its close too). */
function open(close: number): boolean {
  p++;
  ws();
  if (t.charCodeAt(p) !== close) return false;
  p++;
  return true;
}

let numberIsInteger = false;

/** At a number: its literal per the JSON grammar (p after it), or undefined. */
function readNumber(): string | undefined {
  const start = p;
  if (t.charCodeAt(p) === MINUS) p++;
  let c = t.charCodeAt(p);
  if (c === ZERO) c = t.charCodeAt(++p);
  else if (c > ZERO && c <= NINE) while ((c = t.charCodeAt(++p)) >= ZERO && c <= NINE);
  else return undefined;
  numberIsInteger = true;
  if (c === DOT) {
    numberIsInteger = false;
    c = t.charCodeAt(++p);
    if (!(c >= ZERO && c <= NINE)) return undefined;
    while ((c = t.charCodeAt(++p)) >= ZERO && c <= NINE);
  }
  if (c === 101 || c === 69) {
    // e E
    numberIsInteger = false;
    c = t.charCodeAt(++p);
    if (c === 43 || c === MINUS) c = t.charCodeAt(++p);
    if (!(c >= ZERO && c <= NINE)) return undefined;
    while ((c = t.charCodeAt(++p)) >= ZERO && c <= NINE);
  }
  return t.slice(start, p);
}

/** At `true`, `false` or `null`: the word (p after it), or undefined. */
function readWord(): string | undefined {
  for (const word of WORDS) {
    if (t.startsWith(word, p)) {
      p += word.length;
      return word;
    }
  }
  return undefined;
}
const WORDS = ['true', 'false', 'null'];

/** Skips any JSON value, checking it; false when it is not valid (or too deep). */
function skipValue(depth: number): boolean {
  const c = t.charCodeAt(p);
  if (c === QUOTE) return skipString();
  if (c === LBRACE || c === LBRACKET) {
    if (depth >= MAX_DEPTH) return false;
    const close = c === LBRACE ? RBRACE : RBRACKET;
    if (open(close)) return true;
    for (;;) {
      if (close === RBRACE && !skipKey()) return false;
      if (!skipValue(depth + 1)) return false;
      const m = more(close);
      if (m === undefined) return false;
      if (!m) return true;
    }
  }
  return (c === MINUS || (c >= ZERO && c <= NINE) ? readNumber() : readWord()) !== undefined;
}

// Keys of the objects being re-serialized, to find a repeated key: json.loads keeps its first place
// and its last value; that is left to the general code.
const keyStack: string[] = [];

// The reference renames these keys in the JSON text of subAlarms (alarm.ts SNAKE_CASE_KEYS).
const SNAKE_CASE: Record<string, string> = {
  __proto__: null as unknown as string,
  subAlarmExpression: 'sub_alarm_expression',
  currentValues: 'current_values',
  metricDefinition: 'metric_definition',
  subAlarmState: 'sub_alarm_state',
};

/**
 * At a value: Python's json.dumps(json.loads(value), ensure_ascii=False), already escaped as a
 * line protocol string field's contents (each `"` as `\"`; a plain text has no `\` or newline).
 * p after the value; undefined when not plain.
 */
function redump(depth: number, rename: boolean): string | undefined {
  const c = t.charCodeAt(p);
  if (c === QUOTE) {
    const s = readString();
    return s === undefined ? undefined : `\\"${s}\\"`;
  }
  if (c === LBRACE) {
    if (depth >= MAX_DEPTH) return undefined;
    if (open(RBRACE)) return '{}';
    const base = keyStack.length;
    let out = '{';
    for (;;) {
      const key = readKey();
      if (key === undefined) return undefined;
      if (keyStack.length - base >= MAX_KEYS) return undefined;
      for (let k = base; k < keyStack.length; k++) if (keyStack[k] === key) return undefined;
      keyStack.push(key);
      const v = redump(depth + 1, rename);
      if (v === undefined) return undefined;
      out += `\\"${(rename && SNAKE_CASE[key]) || key}\\": ${v}`;
      const m = more(RBRACE);
      if (m === undefined) return undefined;
      if (!m) break;
      out += ', ';
    }
    keyStack.length = base;
    return out + '}';
  }
  if (c === LBRACKET) {
    if (depth >= MAX_DEPTH) return undefined;
    if (open(RBRACKET)) return '[]';
    let out = '[';
    for (;;) {
      const v = redump(depth + 1, rename);
      if (v === undefined) return undefined;
      out += v;
      const m = more(RBRACKET);
      if (m === undefined) return undefined;
      if (!m) break;
      out += ', ';
    }
    return out + ']';
  }
  if (c === MINUS || (c >= ZERO && c <= NINE)) {
    const literal = readNumber();
    if (literal === undefined) return undefined;
    // An int prints as its literal (JSON has no leading zeros), but -0 is the int 0.
    if (numberIsInteger) return literal === '-0' ? '0' : literal;
    const x = Number(literal);
    return Number.isFinite(x) ? pyFloatRepr(x) : undefined;
  }
  return readWord();
}

/**
 * At a value that must be an integer (a timestamp) in InfluxDB's range: the int as Python prints
 * it (its literal: JSON has no leading zeros; but -0 is 0), or undefined.
 */
function readTime(): string | undefined {
  const c = t.charCodeAt(p);
  if (!(c === MINUS || (c >= ZERO && c <= NINE))) return undefined;
  const literal = readNumber();
  if (literal === undefined || !numberIsInteger || literal.length > 15) return undefined;
  const time = Number(literal);
  if (!(time >= MIN_TIME_MS && time <= MAX_TIME_MS)) return undefined;
  return time === 0 ? '0' : literal;
}

/** At a value that must be a string. */
function readText(): string | undefined {
  return t.charCodeAt(p) === QUOTE ? readString() : undefined;
}

/** The end of a document: only white space may follow its value. */
function atEnd(): boolean {
  ws();
  return p === t.length;
}

/** Tag keys and values, measurement names: `space` `,` `=` get a backslash (a plain text has no `\`). */
function escapeTag(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === SPACE || c === COMMA || c === 61) return s.replace(/[ ,=]/g, '\\$&');
  }
  return s;
}

function begin(text: string): boolean {
  if (NOT_PLAIN.test(text)) return false;
  t = text;
  p = 0;
  keyStack.length = 0;
  ws();
  return t.charCodeAt(p) === LBRACE;
}

function end(): void {
  t = '';
}

// ------------------------------------------------------------------ metrics

// Parts of the metric being read.
const tagKeys: string[] = [];
const tagValues: string[] = [];
let name: string | undefined;
let time: string | undefined;
let valueText: string | undefined;
let valueMeta: string | undefined;
let tenantId: string | undefined;
let region: string | undefined;
/** Where metric.dimensions is in the text; both 0 when absent. */
let dimsStart = 0;
let dimsEnd = 0;

/** A series (measurement and tags, escaped, as in the line) and what it was made of, but its dimensions. */
interface KnownSeries {
  readonly name: string;
  readonly tenantId: string;
  readonly region: string;
  readonly series: string;
}

/**
 * Series by the text of metric.dimensions ('' when absent), then name, tenant and region: the same
 * series come again and again. Emptied when full.
 */
const seriesCache = new Map<string, KnownSeries[]>();
const SERIES_CACHE_SIZE = 20_000;

/** A copy that shares no memory with the message text (a slice of it would keep it all). */
function detached(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** A metric message, as metric.ts toMetricPoint converts it; undefined when not plain. */
export function fastMetric(text: string): Point | undefined {
  if (!begin(text)) return undefined;
  try {
    return metricMessage();
  } finally {
    end();
  }
}

function resetMetric(): void {
  name = time = valueText = valueMeta = tenantId = region = undefined;
  dimsStart = dimsEnd = 0;
}

function metricMessage(): Point | undefined {
  resetMetric();
  let seenMetric = false;
  let seenMeta = false;
  if (!open(RBRACE)) {
    for (;;) {
      const key = readKey();
      if (key === undefined) return undefined;
      if (key === 'metric') {
        if (seenMetric || !metricObject()) return undefined;
        seenMetric = true;
      } else if (key === 'meta') {
        if (seenMeta || !metaObject()) return undefined;
        seenMeta = true;
      } else if (!skipValue(0)) return undefined;
      const m = more(RBRACE);
      if (m === undefined) return undefined;
      if (!m) break;
    }
  }
  if (!atEnd()) return undefined;
  if (name === undefined || time === undefined || valueText === undefined || tenantId === undefined || region === undefined) {
    return undefined;
  }
  const dims = t.slice(dimsStart, dimsEnd);
  let known = seriesCache.get(dims);
  let series: string | undefined;
  if (known !== undefined) {
    for (const k of known) {
      if (k.name === name && k.tenantId === tenantId && k.region === region) {
        series = k.series;
        break;
      }
    }
  }
  if (series === undefined) {
    const made = makeSeries(name, tenantId, region);
    if (made === undefined) return undefined;
    series = detached(made);
    if (dims.length > MAX_CACHED_CHARS) return { line: `${series} value=${valueText},value_meta="${valueMeta ?? '{}'}" ${time}`, tenantId };
    if (known === undefined) {
      if (seriesCache.size >= SERIES_CACHE_SIZE) seriesCache.clear();
      known = [];
      seriesCache.set(detached(dims), known);
    } else if (known.length >= 16) known.length = 0;
    known.push({ name: detached(name), tenantId: detached(tenantId), region: detached(region), series });
  }
  return { line: `${series} value=${valueText},value_meta="${valueMeta ?? '{}'}" ${time}`, tenantId };
}

function metricObject(): boolean {
  if (t.charCodeAt(p) !== LBRACE) return false;
  if (open(RBRACE)) return true;
  let seen = 0;
  for (;;) {
    const key = readKey();
    if (key === undefined) return false;
    let bit = 0;
    switch (key) {
      case 'name':
        bit = 1;
        name = readText();
        if (name === undefined) return false;
        break;
      case 'dimensions':
        // read later, by makeSeries, unless the series is known
        bit = 2;
        dimsStart = p;
        if (t.charCodeAt(p) !== LBRACE || !skipValue(0)) return false;
        dimsEnd = p;
        break;
      case 'timestamp':
        bit = 4;
        time = readTime();
        if (time === undefined) return false;
        break;
      case 'value':
        bit = 8;
        valueText = metricValue();
        if (valueText === undefined) return false;
        break;
      case 'value_meta':
        bit = 16;
        if (t.startsWith('null', p)) {
          p += 4;
          valueMeta = undefined;
        } else if (t.charCodeAt(p) === LBRACE) {
          valueMeta = redump(0, false);
          if (valueMeta === undefined) return false;
        } else return false;
        break;
      default:
        if (!skipValue(0)) return false;
    }
    if (seen & bit) return false;
    seen |= bit;
    const m = more(RBRACE);
    if (m === undefined) return false;
    if (!m) return true;
  }
}

/** metric.value as the reference prints float(value). */
function metricValue(): string | undefined {
  const c = t.charCodeAt(p);
  if (!(c === MINUS || (c >= ZERO && c <= NINE))) return undefined;
  const literal = readNumber();
  if (literal === undefined) return undefined;
  const x = Number(literal);
  if (!Number.isFinite(x)) return undefined;
  // a JSON int 0 or -0 is the float 0.0; a float literal keeps its sign (-0.0)
  if (x === 0) return numberIsInteger ? '0.0' : pyFloatRepr(x);
  return pyFloatRepr(x);
}

/** The measurement and tags of a metric, or undefined when the general code is to decide. */
function makeSeries(name: string, tenantId: string, region: string): string | undefined {
  // metric.ts unstorableName: empty, a newline (not in a plain text) or a comment
  let i = 0;
  while (name.charCodeAt(i) === SPACE) i++;
  if (i === name.length || name.charCodeAt(i) === 35) return undefined;

  tagKeys.length = 0;
  tagValues.length = 0;
  if (dimsEnd > 0) {
    p = dimsStart;
    if (!dimensions()) return undefined;
  }
  tagKeys.push('_tenant_id', '_region');
  tagValues.push(tenantId, region);
  // insertion sort, in code point order, of the (few) tags
  const n = tagKeys.length;
  for (let a = 1; a < n; a++) {
    const k = tagKeys[a];
    const v = tagValues[a];
    let b = a - 1;
    for (; b >= 0; b--) {
      const cmp = compareCodePoints(tagKeys[b], k);
      if (cmp < 0) break;
      if (cmp === 0) return undefined; // a repeated dimension, or one named _tenant_id or _region
      tagKeys[b + 1] = tagKeys[b];
      tagValues[b + 1] = tagValues[b];
    }
    tagKeys[b + 1] = k;
    tagValues[b + 1] = v;
  }
  let series = escapeTag(name);
  for (let k = 0; k < n; k++) {
    const key = tagKeys[k];
    const val = tagValues[k];
    // empty: unstorable; __proto__: JSON.parse's own property, which the general code's tags object cannot hold
    if (key.length === 0 || val.length === 0 || key === '__proto__') return undefined;
    series += `,${escapeTag(key)}=${escapeTag(val)}`;
  }
  tagKeys.length = 0;
  tagValues.length = 0;
  return series;
}

function dimensions(): boolean {
  if (t.charCodeAt(p) !== LBRACE) return false;
  if (open(RBRACE)) return true;
  for (;;) {
    const key = readKey();
    if (key === undefined) return false;
    const value = readText();
    if (value === undefined || tagKeys.length >= MAX_KEYS) return false;
    tagKeys.push(key);
    tagValues.push(value);
    const m = more(RBRACE);
    if (m === undefined) return false;
    if (!m) return true;
  }
}

function metaObject(): boolean {
  if (t.charCodeAt(p) !== LBRACE) return false;
  if (open(RBRACE)) return true;
  let seen = 0;
  for (;;) {
    const key = readKey();
    if (key === undefined) return false;
    let bit = 0;
    if (key === 'tenantId') {
      bit = 1;
      tenantId = readText();
      if (tenantId === undefined) return false;
    } else if (key === 'region') {
      bit = 2;
      region = readText();
      if (region === undefined) return false;
    } else if (!skipValue(0)) return false;
    if (seen & bit) return false;
    seen |= bit;
    const m = more(RBRACE);
    if (m === undefined) return false;
    if (!m) return true;
  }
}

// ------------------------------------------------------------------ alarms

/** An alarm state transition, as alarm.ts toAlarmPoint converts it; undefined when not plain. */
export function fastAlarm(text: string): Point | undefined {
  if (!begin(text)) return undefined;
  try {
    return alarmMessage();
  } finally {
    end();
  }
}

let aTenant: string | undefined;
let aAlarmId: string | undefined;
let aNewState: string | undefined;
let aOldState: string | undefined;
let aReason: string | undefined;
let aLink: string;
let aLifecycle: string;
let aMetrics: string | undefined;
let aSubAlarms: string | undefined;
let aTime: string | undefined;

function resetAlarm(): void {
  aTenant = aAlarmId = aNewState = aOldState = aReason = aMetrics = aSubAlarms = aTime = undefined;
  aLink = aLifecycle = '';
}

function alarmMessage(): Point | undefined {
  resetAlarm();
  let seen = false;
  if (!open(RBRACE)) {
    for (;;) {
      const key = readKey();
      if (key === undefined) return undefined;
      if (key === 'alarm-transitioned') {
        if (seen || !transition()) return undefined;
        seen = true;
      } else if (!skipValue(0)) return undefined;
      const m = more(RBRACE);
      if (m === undefined) return undefined;
      if (!m) break;
    }
  }
  if (!atEnd()) return undefined;
  if (
    aTenant === undefined || aAlarmId === undefined || aNewState === undefined || aOldState === undefined
    || aReason === undefined || aMetrics === undefined || aSubAlarms === undefined || aTime === undefined
    || aTenant.length === 0
  ) {
    return undefined;
  }
  // A plain string has no `\`, `"` or newline: quoted as it is.
  return {
    line: `alarm_state_history,tenant_id=${escapeTag(aTenant)} tenant_id="${aTenant}",alarm_id="${aAlarmId}",metrics="${aMetrics}",new_state="${aNewState}",old_state="${aOldState}",link="${aLink}",lifecycle_state="${aLifecycle}",reason="${aReason}",reason_data="{}",sub_alarms="${aSubAlarms}" ${aTime}`,
    tenantId: aTenant,
  };
}

/**
 * Re-serialized JSON by its text: alarms of one definition repeat their metrics and sub-alarms.
 * Emptied when full.
 */
const metricsCache = new Map<string, string>();
const subAlarmsCache = new Map<string, string>();
const JSON_CACHE_SIZE = 10_000;

/** redump(), through a cache by the value's text. */
function redumpKnown(cache: Map<string, string>, rename: boolean): string | undefined {
  const start = p;
  if (!skipValue(0)) return undefined;
  const end = p;
  const source = t.slice(start, end);
  const known = cache.get(source);
  if (known !== undefined) return known;
  p = start;
  const made = redump(0, rename);
  if (made === undefined) return undefined;
  const result = detached(made);
  if (source.length > MAX_CACHED_CHARS) return result;
  if (cache.size >= JSON_CACHE_SIZE) cache.clear();
  cache.set(detached(source), result);
  return result;
}

/** null prints as '', a string as itself; anything else is left to the general code. */
function optionalText(): string | undefined {
  if (t.startsWith('null', p)) {
    p += 4;
    return '';
  }
  return readText();
}

function transition(): boolean {
  if (t.charCodeAt(p) !== LBRACE) return false;
  if (open(RBRACE)) return true;
  let seen = 0;
  for (;;) {
    const key = readKey();
    if (key === undefined) return false;
    let bit = 0;
    let ok = true;
    switch (key) {
      case 'tenantId':
        bit = 1;
        ok = (aTenant = readText()) !== undefined;
        break;
      case 'alarmId':
        bit = 2;
        ok = (aAlarmId = readText()) !== undefined;
        break;
      case 'newState':
        bit = 4;
        ok = (aNewState = readText()) !== undefined;
        break;
      case 'oldState':
        bit = 8;
        ok = (aOldState = readText()) !== undefined;
        break;
      case 'stateChangeReason':
        bit = 16;
        ok = (aReason = readText()) !== undefined;
        break;
      case 'link': {
        bit = 32;
        const s = optionalText();
        ok = s !== undefined;
        aLink = s ?? '';
        break;
      }
      case 'lifecycleState': {
        bit = 64;
        const s = optionalText();
        ok = s !== undefined;
        aLifecycle = s ?? '';
        break;
      }
      case 'metrics':
        bit = 128;
        ok = (aMetrics = redumpKnown(metricsCache, false)) !== undefined;
        break;
      case 'subAlarms': {
        bit = 256;
        // falsy (null, [], {}) is '[]'; other falsy scalars are left to the general code
        if (t.startsWith('null', p)) {
          p += 4;
          aSubAlarms = '[]';
        } else {
          const c = t.charCodeAt(p);
          if (c !== LBRACKET && c !== LBRACE) return false;
          const s = redumpKnown(subAlarmsCache, true);
          ok = s !== undefined;
          aSubAlarms = s === '{}' ? '[]' : s;
        }
        break;
      }
      case 'timestamp':
        bit = 512;
        ok = (aTime = readTime()) !== undefined;
        break;
      default:
        ok = skipValue(0);
    }
    if (!ok || seen & bit) return false;
    seen |= bit;
    const m = more(RBRACE);
    if (m === undefined) return false;
    if (!m) return true;
  }
}
