/**
 * An INI reader with the semantics of oslo.config's `iniparser` (the parser the
 * Python monasca-persister uses), not those of the `ini` package:
 *
 * - `key = value` or `key: value` (whichever of `=` / `:` comes first splits);
 *   key and value are trimmed; ONE pair of matching surrounding quotes
 *   (`"..."` or `'...'`) is removed from the value, as oslo does.
 * - Whole-line comments start with `#` or `;`. There are no inline comments:
 *   `port = 8086 # x` has the value `8086 # x` (as in oslo).
 * - A line starting with a space or tab continues the previous value; the
 *   parts are joined with a newline. A blank line ends a multi-line value.
 * - Section names are case-insensitive (lower-cased) except `[DEFAULT]`.
 *   Repeated sections merge; a key repeated in one file: the last one wins.
 *
 * Two leniencies over oslo, both for lines oslo rejects: a leading UTF-8 BOM
 * is skipped, and an indented comment line with no value to continue is
 * ignored instead of being "Unexpected continuation line".
 */
import { ConfigError } from './errors.js';

export interface IniEntry {
  /** The value after quote stripping and continuation joining; not interpolated. */
  readonly value: string;
  /** 1-based line of the key. */
  readonly line: number;
}

/** section (normalized) -> option name (case-sensitive, as written) -> entry */
export type IniSections = Map<string, Map<string, IniEntry>>;

export function normalizeSection(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase();
}

export function parseIni(text: string, file: string): IniSections {
  const sections: IniSections = new Map();
  let section: Map<string, IniEntry> | undefined;
  let pending: { key: string; parts: string[]; line: number } | undefined;

  const fail = (lineno: number, why: string): never => {
    // The line itself is not echoed: it might hold a secret.
    throw new ConfigError(`${file}:${lineno}: ${why}`, { file });
  };
  const flush = (): void => {
    if (pending && section) section.set(pending.key, { value: pending.parts.join('\n'), line: pending.line });
    pending = undefined;
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const lineno = index + 1;
    const line = rawLine.trimEnd();
    if (line === '') return flush();
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (pending) pending.parts.push(line.trimStart());
      else if (!/^[#;]/.test(line.trimStart())) fail(lineno, 'unexpected continuation line (an indented line with no option before it)');
      return;
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) fail(lineno, 'invalid section header (must end with "]")');
      if (line.length <= 2) fail(lineno, 'empty section name');
      const name = normalizeSection(line.slice(1, -1));
      section = sections.get(name) ?? new Map<string, IniEntry>();
      sections.set(name, section);
      return;
    }
    if (line.startsWith('#') || line.startsWith(';')) return;

    const colon = line.indexOf(':');
    const equal = line.indexOf('=');
    if (colon < 0 && equal < 0) fail(lineno, 'no "=" or ":" found in assignment');
    const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
    const key = line.slice(0, at).trim();
    let value = line.slice(at + 1).trim();
    if (value !== '' && value[0] === value[value.length - 1] && (value[0] === '"' || value[0] === "'")) {
      value = value.slice(1, -1);
    }
    if (key === '') fail(lineno, 'empty option name');
    if (!section) fail(lineno, 'option outside of any section (add a [section] header above it)');
    pending = { key, parts: [value], line: lineno };
  });
  flush();
  return sections;
}
