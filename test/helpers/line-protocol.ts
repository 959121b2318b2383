/**
 * A strict reader of InfluxDB 1.x line protocol as the persister writes it (precision ms): it
 * throws on anything InfluxDB would not read as one point. For the tests that check every line the
 * converter emits; it shares no code with the converter.
 */

export interface ParsedLine {
  measurement: string;
  tags: [string, string][];
  fields: [string, string | number][];
  timeMs?: number;
}

const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const MAX_MS = 9_223_372_036_854;

class LineReader {
  i = 0;
  constructor(readonly s: string) {}

  fail(why: string): never {
    throw new Error(`${why} at ${this.i} in ${JSON.stringify(this.s)}`);
  }

  /** An identifier (measurement, tag key or value, field key) up to an unescaped char of `stops`; escapes kept as written. */
  ident(stops: string): string {
    const start = this.i;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') {
        if (this.i + 1 >= this.s.length) this.fail('a backslash at the end');
        this.i += 2;
        continue;
      }
      if (stops.includes(c)) break;
      this.i++;
    }
    return this.s.slice(start, this.i);
  }

  expect(c: string): void {
    if (this.s[this.i] !== c) this.fail(`expected ${JSON.stringify(c)}`);
    this.i++;
  }

  fieldValue(): string | number {
    if (this.s[this.i] === '"') {
      this.i++;
      let out = '';
      for (;;) {
        if (this.i >= this.s.length) this.fail('an unterminated string');
        const c = this.s[this.i];
        if (c === '"') break;
        if (c === '\\' && (this.s[this.i + 1] === '"' || this.s[this.i + 1] === '\\')) {
          out += this.s[this.i + 1];
          this.i += 2;
          continue;
        }
        out += c;
        this.i++;
      }
      this.i++;
      return out;
    }
    const token = this.ident(', ');
    if (!FLOAT.test(token)) this.fail(`not a float field value: ${JSON.stringify(token)}`);
    const x = Number(token);
    if (!Number.isFinite(x)) this.fail('a float that is not finite');
    return x;
  }
}

export function parseLine(line: string): ParsedLine {
  const r = new LineReader(line);
  if (line.includes('\n')) r.fail('a raw line break');
  if (!line.isWellFormed()) r.fail('a lone surrogate, which has no UTF-8 form');
  const measurement = r.ident(', ');
  // InfluxDB skips tabs and NULs at the start of a line
  if (/^[\t\0]*$/.test(measurement)) r.fail('no measurement');
  if (/^[ \t\0]*#/.test(measurement)) r.fail('a comment, not a point');
  const tags: [string, string][] = [];
  while (line[r.i] === ',') {
    r.i++;
    const key = r.ident('=, ');
    r.expect('=');
    const value = r.ident(', =');
    if (key.length === 0 || value.length === 0) r.fail('an empty tag key or value');
    if (key === 'time') r.fail('time, which InfluxDB refuses as a tag key');
    tags.push([key, value]);
  }
  r.expect(' ');
  const fields: [string, string | number][] = [];
  for (;;) {
    const key = r.ident('=, ');
    if (key.length === 0) r.fail('an empty field key');
    r.expect('=');
    fields.push([key, r.fieldValue()]);
    if (line[r.i] !== ',') break;
    r.i++;
  }
  let timeMs: number | undefined;
  if (r.i < line.length) {
    r.expect(' ');
    const t = line.slice(r.i);
    if (!/^-?\d+$/.test(t)) r.fail(`not an integer timestamp: ${JSON.stringify(t)}`);
    timeMs = Number(t);
    if (Math.abs(timeMs) > MAX_MS) r.fail('a timestamp outside what InfluxDB stores');
    r.i = line.length;
  }
  return { measurement, tags, fields, timeMs };
}
