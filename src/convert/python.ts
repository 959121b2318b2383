/**
 * The few Python built-ins whose exact behaviour decides what the reference persister writes:
 * float(), int(), str()/repr() of JSON values and json.dumps(..., ensure_ascii=False).
 * JSON values here are what JSON.parse returns.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// Python's float() grammar for strings: digits may be grouped by single underscores.
const DIGITS = '\\d(?:_?\\d)*';
const FLOAT_TEXT = new RegExp(
  `^[+-]?(?:(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf(?:inity)?|nan)$`,
  'i',
);
const INT_TEXT = new RegExp(`^[+-]?${DIGITS}$`);

// What Python's str.strip() removes (str.isspace): not U+FEFF, which JavaScript's trim() removes too.
const PY_SPACE = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'g');

function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

const DECIMAL_DIGIT = /\p{Nd}/u;
const NON_ASCII_DIGITS = /[^\x00-\x7f]/;

/**
 * Python reads any Unicode decimal digit (`١٢٣` is 123). Unicode encodes decimal digits in runs
 * of ten from 0 to 9, so a digit's value is its distance from the start of its run, modulo 10.
 */
function asciiDigits(s: string): string {
  if (!NON_ASCII_DIGITS.test(s)) return s;
  return s.replace(/\p{Nd}/gu, (d) => {
    const cp = d.codePointAt(0)!;
    let start = cp;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
    return String((cp - start) % 10);
  });
}

/** Python float(x) for a JSON value; undefined where Python raises. */
export function pyFloat(x: Json | undefined): number | undefined {
  switch (typeof x) {
    case 'number':
      return x;
    case 'boolean':
      return x ? 1 : 0;
    case 'string': {
      const s = asciiDigits(pyStrip(x));
      if (!FLOAT_TEXT.test(s)) return undefined;
      const lower = s.toLowerCase().replace(/_/g, '');
      if (lower.endsWith('nan')) return NaN;
      if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
      return Number(lower);
    }
    default:
      return undefined;
  }
}

/** Python int(x) for a JSON value (floats truncate toward zero); undefined where Python raises. */
export function pyInt(x: Json | undefined): number | undefined {
  switch (typeof x) {
    case 'number':
      return Number.isFinite(x) ? Math.trunc(x) + 0 : undefined; // + 0 turns -0 into 0
    case 'boolean':
      return x ? 1 : 0;
    case 'string': {
      const s = asciiDigits(pyStrip(x));
      return INT_TEXT.test(s) ? Number(s.replace(/_/g, '')) + 0 : undefined;
    }
    default:
      return undefined;
  }
}

/** Python repr(float) (also str() and '{}'.format() of a float): shortest round-trip digits. */
export function pyFloatRepr(x: number): string {
  // Where both write plain decimals (JavaScript from 1e-7 to 1e21, Python from 1e-4 to 1e16),
  // JavaScript's String() has the same shortest round-trip digits; Python adds `.0` to an integer.
  const a = x < 0 ? -x : x;
  if (a >= 1e-4 && a < 1e16) {
    const s = String(x);
    return Number.isInteger(x) ? `${s}.0` : s;
  }
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const sign = x < 0 ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = String(Math.abs(exp)).padStart(2, '0');
    return `${sign}${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  return `${sign}${whole}.${digits.slice(exp + 1) || '0'}`;
}

/**
 * A number JSON.parse made, as Python would print it after json.loads. JSON.parse cannot tell `1`
 * from `1.0`; integral values print as integers. Where the difference shows, use pyjson.ts.
 */
function pyNumber(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? String(x) : pyFloatRepr(x);
}

const REPR_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (REPR_ESCAPES[ch]) out += REPR_ESCAPES[ch];
    else if (ch === quote) out += `\\${ch}`;
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

/** Python repr() of a JSON value. */
export function pyRepr(x: Json): string {
  if (x === null) return 'None';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'number') return pyNumber(x);
  if (typeof x === 'string') return pyStrRepr(x);
  if (Array.isArray(x)) return `[${x.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(x).map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

/** Python str() of a JSON value. */
export function pyStr(x: Json): string {
  return typeof x === 'string' ? x : pyRepr(x);
}

/** Python truthiness: `if not x`. */
export function pyFalsy(x: Json | undefined): boolean {
  if (x === undefined || x === null || x === false || x === 0 || x === '') return true;
  if (Array.isArray(x)) return x.length === 0;
  return typeof x === 'object' && Object.keys(x).length === 0;
}
