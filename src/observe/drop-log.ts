/**
 * Logging of dropped messages that survives a flood. Within each window (a minute by default),
 * the first drops of each kind are logged in full, one line each (topic, partition, offset,
 * reason); the others are only counted, and one summary line per kind tells how many were not
 * logged, when the window ends or the pipeline stops. The counters of src/observe/stats.ts (and
 * the metrics) count every drop, logged or not.
 */
import type { Logger } from './log.js';

export interface DropLogOptions {
  /** Drops of one kind logged in full per window. */
  perWindow: number;
  windowMs: number;
  /** The clock (tests give their own). */
  now?: () => number;
}

export const DROP_LOG_DEFAULTS: DropLogOptions = { perWindow: 10, windowMs: 60_000 };

export class DropLog {
  private windowStart: number | undefined;
  private readonly logged = new Map<string, number>();
  private readonly notLogged = new Map<string, number>();
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    private readonly options: DropLogOptions = DROP_LOG_DEFAULTS,
  ) {
    this.now = options.now ?? Date.now;
    // A flood that stops still gets its summary within a window.
    this.timer = setInterval(() => this.endWindowIfDue(), options.windowMs);
    this.timer.unref();
  }

  /** A drop of `kind`: logged with `fields` and `msg` while the kind has room in this window, counted otherwise. */
  dropped(kind: string, fields: Record<string, unknown>, msg: string): void {
    this.endWindowIfDue();
    this.windowStart ??= this.now();
    const n = this.logged.get(kind) ?? 0;
    if (n < this.options.perWindow) {
      this.logged.set(kind, n + 1);
      this.log.warn({ ...fields, kind }, msg);
      if (n + 1 === this.options.perWindow) {
        this.log.warn({ kind, windowSeconds: this.options.windowMs / 1000 }, `${this.options.perWindow} drops of this kind logged in this window: the next ones are only counted until it ends`);
      }
    } else this.notLogged.set(kind, (this.notLogged.get(kind) ?? 0) + 1);
  }

  /** The summary of the drops not logged one by one, now (at a stop); a new window starts. */
  flush(): void {
    for (const [kind, count] of this.notLogged) {
      this.log.warn({ kind, notLogged: count, windowSeconds: this.options.windowMs / 1000 }, `messages dropped: ${count} more of this kind, not logged one by one (all are counted)`);
    }
    this.notLogged.clear();
    this.logged.clear();
    this.windowStart = undefined;
  }

  close(): void {
    this.flush();
    clearInterval(this.timer);
  }

  private endWindowIfDue(): void {
    if (this.windowStart !== undefined && this.now() - this.windowStart >= this.options.windowMs) this.flush();
  }
}
