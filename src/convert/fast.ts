/**
 * Fast paths of the converter for plain messages: one pass over the message's text, no JSON.parse,
 * no intermediate objects; the line is built straight from the text.
 *
 * A fast path only ever returns a line that the general code (metric.ts, alarm.ts) would return
 * for the same text. Whenever a message is anything but plain, it returns undefined and the
 * general code decides, drops included. Plain means:
 *   - no string in the text holds a backslash or a control character (so no string has an escape,
 *     every string ends at the next `"`, and a string's text is its value and already its JSON
 *     form). In a metric, every string is checked as it is read (stringEnd), or is compared equal
 *     to a text that was checked when it was cached; an alarm's text is checked all at once.
 *     Outside strings only the characters of the JSON grammar (and the space) are accepted;
 *   - it is valid JSON (checked here, strictly, for the whole text) and no key that is used
 *     appears twice in its object;
 *   - every field used has the ordinary type (text fields strings, dimensions strings, timestamp
 *     an integer literal, value a finite number, value_meta null or an object, ...);
 *   - nothing the general code would drop (empty tag, unstorable name, time out of range, ...).
 * The text must be well formed UTF-16 (no lone surrogate): true of text decoded from bytes.
 */
import { compareCodePoints, escapeTag, MAX_TIME_MS, MIN_TIME_MS } from './line.js';
import type { Point } from './message.js';
import { pyFloatRepr } from './python.js';

// char codes
const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const SPACE = 32;

const MAX_DEPTH = 64;
/** More keys in one object than this: left to the general code (the fast path's checks are quadratic in them). */
const MAX_KEYS = 64;
/** Texts longer than this are not cached (the caches are bounded by entries, so entries stay small). */
const MAX_CACHED_CHARS = 2048;

// The reading state below is module-level `var`, not `let`, on purpose: V8 checks a `let` of the
// module for its temporal dead zone wherever a function uses it, and these are used several
// hundred times a message (about 2.5% of a metric's instructions, measured with valgrind).

/** The text being read, and the position in it. */
var t = '';
var p = 0;

function ws(): void {
  // Only the space is accepted as white space: JSON's others are control characters.
  while (t.charCodeAt(p) === SPACE) p++;
}

/**
 * Whether the whole text was found plain at once (fastAlarm: most of an alarm is strings that are
 * read, and one regular expression over it all is cheaper than checking each).
 */
var textPlain = false;
/** A backslash or a control character anywhere. */
const NOT_PLAIN = /[\\\x00-\x1f]/;

/**
 * At a `"`: the position of the `"` that ends the string, or -1 when a backslash or a control
 * character comes first (the string is not plain), or the text ends first.
 */
function stringEnd(): number {
  if (textPlain) return t.indexOf('"', p + 1);
  const s = t;
  for (let i = p + 1; ; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) return i;
    // NaN (past the end of the text) fails `c >= SPACE` too
    if (!(c >= SPACE) || c === BACKSLASH) return -1;
  }
}

/** At a `"`: the string's contents (p after the closing quote), or undefined. */
function readString(): string | undefined {
  const end = stringEnd();
  if (end < 0) return undefined;
  const s = t.slice(p + 1, end);
  p = end + 1;
  return s;
}

/** At a `"`: past the string; false when it is not plain or has no end. */
function skipString(): boolean {
  const end = stringEnd();
  p = end + 1;
  return end >= 0;
}

/** Where the text of the last key (key()) or string (span()) read is: [spanStart, spanEnd). */
var spanStart = 0;
var spanEnd = 0;

/** At a string: past it, its contents at [spanStart, spanEnd); false when not a plain string. */
function span(): boolean {
  if (t.charCodeAt(p) !== QUOTE) return false;
  const end = stringEnd();
  if (end < 0) return false;
  spanStart = p + 1;
  spanEnd = end;
  p = end + 1;
  return true;
}

/** At an object key: past it and the `:` after it (p at the value); the key at [spanStart, spanEnd). */
function key(): boolean {
  if (!span()) return false;
  ws();
  if (t.charCodeAt(p) !== COLON) return false;
  p++;
  ws();
  return true;
}

/** Whether the text at [a, b) is `s`; no string is made for it. */
function same(a: number, b: number, s: string): boolean {
  if (b - a !== s.length) return false;
  // Either is several times faster than comparing in JavaScript; startsWith on short texts, but
  // past a few dozen characters it falls behind a slice and `===` (a memory compare).
  return b - a <= 24 ? t.startsWith(s, a) : t.slice(a, b) === s;
}

/**
 * At an object key: when it is `word` (plain, without `"`), past it and the `:` after it (p at the
 * value) and true; otherwise false, p unchanged. Cheaper than key() and then a comparison.
 */
function keyIs(word: string): boolean {
  const s = t;
  const n = word.length;
  const start = p + 1;
  // the closing quote first: most other keys are told apart by their length
  if (s.charCodeAt(start + n) !== QUOTE || s.charCodeAt(p) !== QUOTE || !s.startsWith(word, start)) return false;
  let i = start + n + 1;
  while (s.charCodeAt(i) === SPACE) i++;
  if (s.charCodeAt(i) !== COLON) return false;
  i++;
  while (s.charCodeAt(i) === SPACE) i++;
  p = i;
  return true;
}

/** At an object key: reads it and the `:` after it; p at the value. */
function readKey(): string | undefined {
  return key() ? t.slice(spanStart, spanEnd) : undefined;
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

var numberIsInteger = false;

/** At a number: past it, per the JSON grammar; false when it is not one. Sets numberIsInteger. */
function scanNumber(): boolean {
  if (t.charCodeAt(p) === MINUS) p++;
  let c = t.charCodeAt(p);
  if (c === ZERO) c = t.charCodeAt(++p);
  else if (c > ZERO && c <= NINE) while ((c = t.charCodeAt(++p)) >= ZERO && c <= NINE);
  else return false;
  numberIsInteger = true;
  if (c === DOT) {
    numberIsInteger = false;
    c = t.charCodeAt(++p);
    if (!(c >= ZERO && c <= NINE)) return false;
    while ((c = t.charCodeAt(++p)) >= ZERO && c <= NINE);
  }
  if (c === 101 || c === 69) {
    // e E
    numberIsInteger = false;
    c = t.charCodeAt(++p);
    if (c === 43 || c === MINUS) c = t.charCodeAt(++p);
    if (!(c >= ZERO && c <= NINE)) return false;
    while ((c = t.charCodeAt(++p)) >= ZERO && c <= NINE);
  }
  return true;
}

/** At a number: its literal (p after it), or undefined. */
function readNumber(): string | undefined {
  const start = p;
  return scanNumber() ? t.slice(start, p) : undefined;
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

/** At `null`: past it. */
function skipNull(): boolean {
  if (t.charCodeAt(p) !== 110 || !t.startsWith('null', p)) return false;
  p += 4;
  return true;
}

/** Skips any JSON value, checking it; false when it is not valid (or too deep). */
function skipValue(depth: number): boolean {
  const c = t.charCodeAt(p);
  if (c === QUOTE) return skipString();
  if (c === LBRACE || c === LBRACKET) {
    if (depth >= MAX_DEPTH) return false;
    const close = c === LBRACE ? RBRACE : RBRACKET;
    if (open(close)) return true;
    for (;;) {
      if (close === RBRACE && !key()) return false;
      if (!skipValue(depth + 1)) return false;
      const m = more(close);
      if (m === undefined) return false;
      if (!m) return true;
    }
  }
  return c === MINUS || (c >= ZERO && c <= NINE) ? scanNumber() : readWord() !== undefined;
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
  const s = t;
  const start = p;
  let i = p;
  const negative = s.charCodeAt(i) === MINUS;
  if (negative) i++;
  let c = s.charCodeAt(i);
  let ms = 0;
  if (c === ZERO) c = s.charCodeAt(++i);
  else if (c > ZERO && c <= NINE) {
    // the value from the digits: no Number(string); exact, as at most 15 characters are accepted
    do {
      ms = ms * 10 + (c - ZERO);
      c = s.charCodeAt(++i);
    } while (c >= ZERO && c <= NINE);
  } else return undefined;
  // not an integer literal (or not a number); the general code decides
  if (c === DOT || c === 101 || c === 69 || i - start > 15) return undefined;
  if (negative) ms = -ms;
  if (!(ms >= MIN_TIME_MS && ms <= MAX_TIME_MS)) return undefined;
  p = i;
  return ms === 0 ? '0' : s.slice(start, i);
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

/** Starts reading `text`; false (and nothing to end()) when it is not an object. */
function begin(text: string): boolean {
  t = text;
  p = 0;
  if (keyStack.length !== 0) keyStack.length = 0;
  ws();
  if (t.charCodeAt(p) === LBRACE) return true;
  t = '';
  return false;
}

function end(): void {
  t = '';
  bytes = undefined;
  textPlain = false;
}

// ------------------------------------------------------------------ hashing spans of the text

/**
 * The message's bytes, when the text is ASCII (char i is byte bytesBase + i): spans are hashed 4
 * bytes at a time through a DataView, several times faster than 4 charCodeAt calls. Making a
 * DataView takes some 60 ns, so one is kept per ArrayBuffer: Kafka clients hand out a fetch's
 * message values as views of one buffer (and Buffer.from pools small ones).
 */
var bytes: DataView | undefined;
var bytesBase = 0;
let lastBuffer: ArrayBufferLike | undefined;
let lastView: DataView | undefined;

function useBytes(value: Uint8Array): void {
  if (value.buffer !== lastBuffer) {
    lastBuffer = value.buffer;
    lastView = new DataView(value.buffer);
  }
  bytes = lastView;
  bytesBase = value.byteOffset;
}

/** Lets go of the last message's buffer (kept by useBytes); a batch converted, nothing is held. */
export function releaseBytes(): void {
  lastBuffer = lastView = bytes = undefined;
}

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const M1 = 0xcc9e2d51;
const M2 = 0x1b873593;

/** Chars i..i+3 of the text as one little-endian word: what DataView.getInt32 reads of ASCII bytes. */
function word(s: string, i: number): number {
  return s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
}

/**
 * A hash of the text at [a, b), continuing from `seed`: four lanes of 4 characters each (lanes, so
 * that the multiplications do not wait on each other), then murmur3's finalizer. The same for the
 * bytes and the chars of an ASCII text, so it does not matter which a message came as. Only buckets
 * are chosen by it: entries are compared in full. Non-negative and below 2^30 (a small integer).
 */
function hashSpan(a: number, b: number, seed: number): number {
  let x = seed ^ Math.imul(b - a, 0x9e3779b1);
  let y = ~seed;
  let z = seed ^ 0x7f4a7c15;
  let u = seed ^ 0x2545f491;
  let i = a;
  const view = bytes;
  if (view !== undefined) {
    const base = bytesBase;
    for (; i + 16 <= b; i += 16) {
      x = rotl(Math.imul(x ^ view.getInt32(base + i, true), M1), 15);
      y = rotl(Math.imul(y ^ view.getInt32(base + i + 4, true), M2), 13);
      z = rotl(Math.imul(z ^ view.getInt32(base + i + 8, true), M1), 17);
      u = rotl(Math.imul(u ^ view.getInt32(base + i + 12, true), M2), 11);
    }
    for (; i + 4 <= b; i += 4) x = rotl(Math.imul(x ^ view.getInt32(base + i, true), M1), 15);
  } else {
    const s = t;
    for (; i + 16 <= b; i += 16) {
      x = rotl(Math.imul(x ^ word(s, i), M1), 15);
      y = rotl(Math.imul(y ^ word(s, i + 4), M2), 13);
      z = rotl(Math.imul(z ^ word(s, i + 8), M1), 17);
      u = rotl(Math.imul(u ^ word(s, i + 12), M2), 11);
    }
    for (; i + 4 <= b; i += 4) x = rotl(Math.imul(x ^ word(s, i), M1), 15);
  }
  for (; i < b; i++) x = rotl(Math.imul(x ^ t.charCodeAt(i), M1), 15);
  let h = x ^ rotl(y, 8) ^ rotl(z, 16) ^ rotl(u, 24);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

// ------------------------------------------------------------------ metrics

// Parts of the metric being read: spans of the text, so that nothing is cut from it when the
// series is known.
var nameStart = -1;
var nameEnd = 0;
var tenantStart = -1;
var tenantEnd = 0;
var regionStart = -1;
var regionEnd = 0;
var time: string | undefined;
var valueText: string | undefined;
var valueMeta: string | undefined;
/** Where metric.dimensions is in the text; both 0 when absent. */
var dimsStart = 0;
var dimsEnd = 0;
/** hashSpan of metric.dimensions up to its first `}`; -1 when not hashed (too long to cache). */
var dimsHash = -1;
/** Whether metric.dimensions was skipped unread (see metricMessage). */
var dimsSkipped = false;
const NO_DIMS_HASH = 0x2545f491;

/** A series (measurement and tags, escaped, as in the line) and what it was made of. */
interface KnownSeries {
  readonly hash: number;
  /** The text of metric.dimensions ('' when absent), which was read in full: plain, JSON, usable. */
  readonly dims: string;
  readonly name: string;
  readonly tenantId: string;
  readonly region: string;
  /** The line up to the value: `<series> value=`. */
  readonly prefix: string;
  next: KnownSeries | undefined;
}

/**
 * Known series, in a hash table chained in its entries, by the hash of the text of their
 * dimensions up to its first `}`, continued over their name, tenant and region. Emptied when
 * SERIES_CACHE_SIZE series have been added; a chain longer than MAX_CHAIN is dropped when added
 * to, so a lookup compares few entries whatever the messages are.
 */
const TABLE_SIZE = 1 << 15;
const SERIES_CACHE_SIZE = 20_000;
const MAX_CHAIN = 8;
const seriesTable: (KnownSeries | undefined)[] = Array.from({ length: TABLE_SIZE }, () => undefined);
let seriesAdded = 0;

function addSeries(s: KnownSeries): void {
  if (seriesAdded >= SERIES_CACHE_SIZE) {
    seriesTable.fill(undefined);
    shared.clear();
    seriesAdded = 0;
  }
  const slot = s.hash & (TABLE_SIZE - 1);
  let n = 0;
  for (let k = seriesTable[slot]; k !== undefined; k = k.next) n++;
  s.next = n >= MAX_CHAIN ? undefined : seriesTable[slot];
  seriesTable[slot] = s;
  seriesAdded++;
}

/** A copy that shares no memory with the message text (a slice of it would keep it all). */
function detached(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * Texts of known series (dimensions, names, tenants, regions), one copy of each: many series share
 * them, and shared texts stay in the processor's caches for the next lookup. Emptied with the table.
 */
const shared = new Map<string, string>();

function sharedCopy(s: string): string {
  let copy = shared.get(s);
  if (copy === undefined) shared.set((copy = detached(s)), copy);
  return copy;
}

/**
 * A metric message, as metric.ts toMetricPoint converts it; undefined when not plain. `value`:
 * the bytes the text was decoded from, only when they are ASCII (as many bytes as chars).
 */
export function fastMetric(text: string, value?: Uint8Array): Point | undefined {
  if (!begin(text)) return undefined;
  try {
    if (value !== undefined) useBytes(value);
    // First with metric.dimensions skipped unread, which is enough for a known series; when the
    // skip was wrong, once more reading all of it.
    const point = metricMessage(true);
    if (point !== undefined || !dimsSkipped) return point;
    begin(text);
    return metricMessage(false);
  } finally {
    end();
  }
}

function resetMetric(): void {
  nameStart = tenantStart = regionStart = dimsHash = -1;
  nameEnd = tenantEnd = regionEnd = dimsStart = dimsEnd = 0;
  time = valueText = valueMeta = undefined;
  dimsSkipped = false;
}

const NO_VALUE_META = ',value_meta="{}" ';

/**
 * The metric message at p. With `skipDims`, metric.dimensions is taken to end at its first `}`
 * and skipped unread. A known series' dimensions are a text that was read in full, a whole JSON
 * object: when the skipped text is that text, the object ends where the skip took it to end, and
 * the rest of the message was read right. Otherwise the dimensions are read before anything is
 * made of them; when they do not end there, this gives undefined and dimsSkipped says to read
 * the message once more without the skip.
 */
function metricMessage(skipDims: boolean): Point | undefined {
  resetMetric();
  let seenMetric = false;
  let seenMeta = false;
  if (!open(RBRACE)) {
    for (;;) {
      if (keyIs('metric')) {
        if (seenMetric || !metricObject(skipDims)) return undefined;
        seenMetric = true;
      } else if (keyIs('meta')) {
        if (seenMeta || !metaObject()) return undefined;
        seenMeta = true;
      } else if (!key() || !skipValue(0)) return undefined;
      const m = more(RBRACE);
      if (m === undefined) return undefined;
      if (!m) break;
    }
  }
  if (!atEnd()) return undefined;
  if (nameStart < 0 || time === undefined || valueText === undefined || tenantStart < 0 || regionStart < 0) return undefined;

  const meta = valueMeta === undefined ? NO_VALUE_META : `,value_meta="${valueMeta}" `;
  if (dimsEnd === 0) dimsHash = NO_DIMS_HASH;
  const cacheable = dimsHash >= 0 && dimsEnd - dimsStart <= MAX_CACHED_CHARS
    && nameEnd - nameStart + (tenantEnd - tenantStart) + (regionEnd - regionStart) <= MAX_CACHED_CHARS;
  let hash = 0;
  if (cacheable) {
    hash = hashSpan(regionStart, regionEnd, hashSpan(tenantStart, tenantEnd, hashSpan(nameStart, nameEnd, dimsHash)));
    for (let k = seriesTable[hash & (TABLE_SIZE - 1)]; k !== undefined; k = k.next) {
      if (
        k.hash === hash && same(dimsStart, dimsEnd, k.dims) && same(nameStart, nameEnd, k.name)
        && same(tenantStart, tenantEnd, k.tenantId) && same(regionStart, regionEnd, k.region)
      ) {
        return { line: k.prefix + valueText + meta + time, tenantId: k.tenantId };
      }
    }
  }
  // Not a known series. Dimensions skipped unread are read now: when they end where the skip took
  // them to end, the rest was read right; otherwise the message is read again (dimsSkipped).
  if (dimsSkipped) {
    p = dimsStart;
    if (!skipValue(0) || p !== dimsEnd) return undefined;
    dimsSkipped = false;
  }

  const name = t.slice(nameStart, nameEnd);
  const tenantId = t.slice(tenantStart, tenantEnd);
  const region = t.slice(regionStart, regionEnd);
  const series = makeSeries(name, tenantId, region);
  if (series === undefined) return undefined;
  if (!cacheable) return { line: `${series} value=${valueText}${meta}${time}`, tenantId };
  const known: KnownSeries = {
    hash,
    dims: sharedCopy(t.slice(dimsStart, dimsEnd)),
    name: sharedCopy(name),
    tenantId: sharedCopy(tenantId),
    region: sharedCopy(region),
    prefix: detached(`${series} value=`),
    next: undefined,
  };
  addSeries(known);
  return { line: known.prefix + valueText + meta + time, tenantId: known.tenantId };
}

function metricObject(skipDims: boolean): boolean {
  if (t.charCodeAt(p) !== LBRACE) return false;
  if (open(RBRACE)) return true;
  let seen = 0;
  for (;;) {
    let bit = 0;
    if (keyIs('name')) {
      bit = 1;
      if (!span()) return false;
      nameStart = spanStart;
      nameEnd = spanEnd;
    } else if (keyIs('dimensions')) {
      // read later, by makeSeries, unless the series is known
      bit = 2;
      if (t.charCodeAt(p) !== LBRACE) return false;
      dimsStart = p;
      // The text up to the first `}` is hashed: where the object ends unless a string in it holds
      // a `}`. Longer than the cache keeps: not hashed.
      const close = t.indexOf('}', p);
      if (close >= 0 && close - p < MAX_CACHED_CHARS) {
        dimsHash = hashSpan(p, close + 1, 0);
        if (skipDims) {
          dimsSkipped = true;
          p = close + 1;
        }
      }
      if (!dimsSkipped && !skipValue(0)) return false;
      dimsEnd = p;
    } else if (keyIs('timestamp')) {
      bit = 4;
      time = readTime();
      if (time === undefined) return false;
    } else if (keyIs('value')) {
      bit = 8;
      valueText = metricValue();
      if (valueText === undefined) return false;
    } else if (keyIs('value_meta')) {
      bit = 16;
      if (skipNull()) valueMeta = undefined;
      else if (t.charCodeAt(p) === LBRACE) {
        valueMeta = redump(0, false);
        if (valueMeta === undefined) return false;
      } else return false;
    } else if (!key() || !skipValue(0)) return false;
    if (seen & bit) return false;
    seen |= bit;
    const m = more(RBRACE);
    if (m === undefined) return false;
    if (!m) return true;
  }
}

/** metric.value as the reference prints float(value). */
function metricValue(): string | undefined {
  const s = t;
  const start = p;
  let i = p;
  if (s.charCodeAt(i) === MINUS) i++;
  const intStart = i;
  let c = s.charCodeAt(i);
  if (c === ZERO) c = s.charCodeAt(++i);
  else if (c > ZERO && c <= NINE) while ((c = s.charCodeAt(++i)) >= ZERO && c <= NINE);
  else return undefined;
  const intEnd = i;
  let fracStart = i;
  let integer = true;
  let plain = true; // no exponent
  if (c === DOT) {
    integer = false;
    fracStart = i + 1;
    c = s.charCodeAt(++i);
    if (!(c >= ZERO && c <= NINE)) return undefined;
    while ((c = s.charCodeAt(++i)) >= ZERO && c <= NINE);
  }
  const fracEnd = i;
  if (c === 101 || c === 69) {
    // e E
    integer = plain = false;
    c = s.charCodeAt(++i);
    if (c === 43 || c === MINUS) c = s.charCodeAt(++i);
    if (!(c >= ZERO && c <= NINE)) return undefined;
    while ((c = s.charCodeAt(++i)) >= ZERO && c <= NINE);
  }
  p = i;
  // Most values print as their literal, which saves Number() and printing the double: a plain
  // decimal of at most 15 digits is the double's shortest round-trip form (15 digits always
  // survive decimal -> double -> decimal), which is what String() and Python's repr() print,
  // unless it has trailing zeros (`1.50`; but `1.0` is repr's form) or is below 1e-4 (repr
  // writes 1e-05). An int literal x is float x, `x.0`; but `-0` is `0.0`.
  const intDigits = intEnd - intStart;
  const fracDigits = fracEnd - fracStart;
  if (plain && intDigits + fracDigits <= 15) {
    const zeroInt = intDigits === 1 && s.charCodeAt(intStart) === ZERO;
    if (integer) return zeroInt ? '0.0' : `${s.slice(start, i)}.0`;
    if (fracDigits === 1 || s.charCodeAt(fracEnd - 1) !== ZERO) {
      let zeros = 0;
      if (zeroInt) while (zeros < fracDigits && s.charCodeAt(fracStart + zeros) === ZERO) zeros++;
      // 0.0 (zeros === fracDigits) or at least 1e-4
      if (zeros === fracDigits || zeros < 4) return s.slice(start, i);
    }
  }
  const x = Number(s.slice(start, i));
  if (!Number.isFinite(x)) return undefined;
  // a JSON int 0 or -0 is the float 0.0; a float literal keeps its sign (-0.0)
  if (x === 0 && integer) return '0.0';
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
    // empty: unstorable; time: refused by InfluxDB as a tag key; __proto__: JSON.parse's own
    // property, which the general code's tags object cannot hold
    if (key.length === 0 || val.length === 0 || key === 'time' || key === '__proto__') return undefined;
    series += `,${escapeTag(key)}=${escapeTag(val)}`;
  }
  tagKeys.length = 0;
  tagValues.length = 0;
  return series;
}

const tagKeys: string[] = [];
const tagValues: string[] = [];

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
    let bit = 0;
    if (keyIs('tenantId')) {
      bit = 1;
      if (!span()) return false;
      tenantStart = spanStart;
      tenantEnd = spanEnd;
    } else if (keyIs('region')) {
      bit = 2;
      if (!span()) return false;
      regionStart = spanStart;
      regionEnd = spanEnd;
    } else if (!key() || !skipValue(0)) return false;
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
  if (NOT_PLAIN.test(text) || !begin(text)) return undefined;
  textPlain = true;
  try {
    return alarmMessage();
  } finally {
    end();
  }
}

var aTenant: string | undefined;
var aAlarmId: string | undefined;
var aNewState: string | undefined;
var aOldState: string | undefined;
var aReason: string | undefined;
var aLink: string;
var aLifecycle: string;
var aMetrics: string | undefined;
var aSubAlarms: string | undefined;
var aTime: string | undefined;

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
  return skipNull() ? '' : readText();
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
        if (skipNull()) aSubAlarms = '[]';
        else {
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
