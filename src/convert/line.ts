/** InfluxDB 1.x line protocol pieces, escaped exactly as the reference persister escapes them. */

const TAG_SPECIAL = /[\\ ,=]/;

/** Measurement names, tag keys and tag values: `\` `space` `,` `=` get a backslash. */
export function escapeTag(s: string): string {
  if (!TAG_SPECIAL.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/ /g, '\\ ').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

const FIELD_SPECIAL = /[\\"\n]/;

/** A string field value: quoted; `\` and `"` get a backslash, a newline becomes `\n`. */
export function quoteStringField(s: string): string {
  if (!FIELD_SPECIAL.test(s)) return `"${s}"`;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Unicode code point order (Python's str ordering), not JavaScript's UTF-16 code unit order. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (part of a code point above U+FFFF) sorts after every BMP code unit.
    if (x >= 0xd800 && x <= 0xdfff) x += 0x10000;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x10000;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Why InfluxDB 1.x would reject a measurement name (before escaping), or undefined when it is
 * storable. One such line makes InfluxDB refuse its whole request.
 */
export function unstorableName(s: string): string | undefined {
  if (s.length === 0) return 'is empty';
  if (s.includes('\n')) return 'contains a newline';
  // InfluxDB skips tabs and NUL characters at the start of a line (and spaces, which are escaped here).
  if (/^[\t\0]+$/.test(s)) return 'is only tabs and NUL characters, which InfluxDB skips: no measurement is left';
  // InfluxDB answers 204 to such a line but stores nothing: it is a comment.
  if (/^[ \t\0]*#/.test(s)) return 'starts with #, which makes InfluxDB read the line as a comment';
  return undefined;
}

/** Why InfluxDB would reject a tag key or value: empty, a newline, or a trailing backslash. */
export function unstorableTag(s: string): string | undefined {
  if (s.length === 0) return 'is empty';
  if (s.includes('\n')) return 'contains a newline';
  if (s.endsWith('\\')) return 'ends with a backslash';
  return undefined;
}

/** Why InfluxDB would reject a tag key: as a tag value, or `time`, which it refuses as a key (a partial write). */
export function unstorableTagKey(s: string): string | undefined {
  return unstorableTag(s) ?? (s === 'time' ? 'is a word InfluxDB refuses as a tag key' : undefined);
}

// InfluxDB stores int64 nanoseconds; its smallest and largest valid times, in milliseconds.
export const MIN_TIME_MS = -9_223_372_036_854;
export const MAX_TIME_MS = 9_223_372_036_854;

export function storableTime(ms: number): boolean {
  return ms >= MIN_TIME_MS && ms <= MAX_TIME_MS;
}
