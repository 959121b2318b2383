/**
 * Exponential backoff with jitter, on p-retry's schedule: the n-th delay (n >= 1) is
 * initial * factor^(n-1) * (1 + random), capped at max. Used for write retries and writer restarts.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor?: number;
}

export function backoffDelay(n: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const factor = policy.factor ?? 2;
  const raw = Math.round((1 + random()) * policy.initialMs * factor ** Math.max(0, n - 1));
  return Math.min(raw, policy.maxMs);
}
