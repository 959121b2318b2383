/**
 * JSON text re-serialized as Python's `json.dumps(json.loads(text), ensure_ascii=False)` writes it.
 * JSON.parse loses what that needs (`10.0` vs `10`, integers above 2^53, the order of integer-like
 * keys), so the few JSON-text fields the reference writes are made from the message's own text.
 */
import { pyFloatRepr } from './python.js';

const WS = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\]|\\.)*"/y;

export class NotRepresentable extends Error {}

function skipWs(text: string, i: number): number {
  WS.lastIndex = i;
  WS.exec(text);
  return WS.lastIndex;
}

function stringEnd(text: string, i: number): number {
  STRING.lastIndex = i;
  if (!STRING.exec(text)) throw new SyntaxError(`bad string at ${i}`);
  return STRING.lastIndex;
}

/** A JSON number literal as Python prints the value json.loads makes of it (int or float). */
export function pyNumberLiteral(literal: string): string {
  NUMBER.lastIndex = 0;
  const m = NUMBER.exec(literal);
  if (!m || m[0].length !== literal.length) throw new SyntaxError(`bad number ${literal}`);
  if (m[1] === undefined && m[2] === undefined) return BigInt(literal).toString();
  const x = Number(literal);
  if (!Number.isFinite(x)) throw new NotRepresentable(`${literal} is out of range of a float`);
  return pyFloatRepr(x);
}

const JSON_STRING_ESCAPES = /["\\\u0000-\u001f]/;

export function dumpsString(s: string): string {
  return JSON_STRING_ESCAPES.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** Re-serializes the value starting at text[i]; returns the text and the index after the value. */
function redumpAt(text: string, i: number): [string, number] {
  i = skipWs(text, i);
  const c = text[i];
  if (c === '"') {
    const end = stringEnd(text, i);
    return [dumpsString(JSON.parse(text.slice(i, end)) as string), end];
  }
  if (c === '{' || c === '[') {
    const isObject = c === '{';
    const entries = new Map<string, string>(); // a repeated key keeps its first place and its last value
    const items: string[] = [];
    i = skipWs(text, i + 1);
    if (text[i] === (isObject ? '}' : ']')) return [isObject ? '{}' : '[]', i + 1];
    for (;;) {
      if (isObject) {
        i = skipWs(text, i);
        const end = stringEnd(text, i);
        const key = JSON.parse(text.slice(i, end)) as string;
        i = skipWs(text, end) + 1; // ':'
        const [v, next] = redumpAt(text, i);
        entries.set(key, v);
        i = next;
      } else {
        const [v, next] = redumpAt(text, i);
        items.push(v);
        i = next;
      }
      i = skipWs(text, i);
      if (text[i] === ',') {
        i++;
        continue;
      }
      i++; // '}' or ']'
      break;
    }
    if (!isObject) return [`[${items.join(', ')}]`, i];
    return [`{${[...entries].map(([k, v]) => `${dumpsString(k)}: ${v}`).join(', ')}}`, i];
  }
  for (const word of ['true', 'false', 'null']) if (text.startsWith(word, i)) return [word, i + word.length];
  NUMBER.lastIndex = i;
  const m = NUMBER.exec(text);
  if (!m) throw new SyntaxError(`unexpected character at ${i}`);
  const end = NUMBER.lastIndex;
  return [pyNumberLiteral(m[0]), end];
}

export function redump(text: string, start: number): string {
  return redumpAt(text, start)[0];
}

/** End of the value starting at text[i] (after leading white space). */
/** A literal (number, true, false, null) from where it starts, however long. */
const LITERAL = /[^,}\]\s]+/y;

function valueEnd(text: string, i: number): number {
  i = skipWs(text, i);
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c !== '{' && c !== '[') {
    LITERAL.lastIndex = i;
    const m = LITERAL.exec(text);
    return i + (m ? m[0].length : 0);
  }
  let depth = 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') i = stringEnd(text, i) - 1;
    else if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
  }
  throw new SyntaxError('unterminated value');
}

/**
 * Where the value at `path` (object keys from the top) starts in a JSON document; the last of
 * repeated keys wins, as in json.loads. -1 when absent. The text must be valid JSON.
 */
export function findValue(text: string, path: readonly string[]): number {
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) === 0xfeff) i = skipWs(text, i + 1);
  for (const want of path) {
    if (text[i] !== '{') return -1;
    let found = -1;
    i = skipWs(text, i + 1);
    while (text[i] !== '}') {
      const end = stringEnd(text, i);
      const key = JSON.parse(text.slice(i, end)) as string;
      const start = skipWs(text, skipWs(text, end) + 1);
      if (key === want) found = start;
      i = skipWs(text, valueEnd(text, start));
      if (text[i] === ',') i = skipWs(text, i + 1);
    }
    if (found < 0) return -1;
    i = found;
  }
  return i;
}
