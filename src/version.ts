/** This persister's version, from its package.json. */
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function persisterVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}
