/** Paths inside the checkout, from compiled tests (dist/test/...) or sources alike. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('dist')) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the project root');
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();

export function fixture(...parts: string[]): string {
  return resolve(ROOT, 'test', 'fixtures', ...parts);
}
