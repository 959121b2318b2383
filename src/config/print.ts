/**
 * The effective configuration as an INI file (`monasca-persister config`), written so that our own
 * reader (ini.ts, oslo.config's rules) reads back every value exactly. oslo.config has no escapes:
 * it strips one pair of quotes and joins indented continuation lines; so each value is written as it
 * is, or in quotes (surrounding spaces, a leading quote), with its further lines indented.
 */
import { ConfigError } from './errors.js';
import { parseIni } from './ini.js';
import type { EffectiveOptions } from './load.js';

/** What our reader makes of `x = <written>`; undefined if it refuses the line. */
function readBack(written: string): string | undefined {
  try {
    return parseIni(`[s]\nx = ${written}\n`, '(check)').get('s')?.get('x')?.value;
  } catch (e) {
    if (e instanceof ConfigError) return undefined;
    throw e;
  }
}

/** A value as a file must hold it: lists comma separated, `$` doubled (the loader expands references). */
function fileText(value: unknown): string {
  const text = Array.isArray(value) ? value.join(',') : String(value);
  return text.replace(/\$/g, () => '$$');
}

/** The right-hand side of `option = ...` that reads back as `text`. */
function written(section: string, option: string, text: string): string {
  const [first, ...more] = text.split('\n');
  const line = [first, `"${first}"`].map((f) => [f, ...more].join('\n    ')).find((w) => readBack(w) === text);
  if (line === undefined) {
    throw new ConfigError(`[${section}] ${option}: the value cannot be written in an INI file (a continuation line would lose spaces or an empty line)`, {
      section,
      option,
    });
  }
  return line;
}

/** The options as an INI file, each section with its options under their names in the files. */
export function formatIni(options: EffectiveOptions, files: readonly string[]): string {
  const head = [
    '# The effective configuration of monasca-persister: defaults, $ references and [kafka]',
    '# inheritance resolved, passwords shown as ***. Read from:',
    ...(files.length ? files.map((f) => `#   ${f}`) : ['#   no file (the defaults)']),
  ];
  const sections: string[] = [];
  for (const [section, values] of options) {
    if (values.size === 0) continue;
    const lines = [...values].map(([option, value]) => `${option} = ${written(section, option, fileText(value))}`);
    sections.push(`[${section}]\n${lines.join('\n')}\n`);
  }
  return `${head.join('\n')}\n\n${sections.join('\n')}`;
}
