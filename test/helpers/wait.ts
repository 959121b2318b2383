/** Waiting in tests for something to become true. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it gives true; after timeoutMs fails, naming `what` and what `seen` gives. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, seen: () => unknown, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; seen: ${JSON.stringify(seen())}`);
    await sleep(everyMs);
  }
}
