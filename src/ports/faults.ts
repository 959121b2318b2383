/**
 * Faults are classified where they happen: an adapter marks each error it throws with what kind of
 * fault it is, and the supervisor maps that to what the process does, without knowing the adapter.
 */
export const Fault = {
  /** A passing failure (a timeout, a 5xx): try again, restart the writer. */
  TRANSIENT: 'transient',
  /** The service cannot be reached at all (connection refused, no route, no such host): retried like a
   * transient fault, but a stop does not wait for it to come back. */
  UNREACHABLE: 'unreachable',
  /** A setting is wrong (credentials refused, a certificate not trusted, a retention policy missing): no retry helps; exit 78. */
  CONFIGURATION: 'configuration',
  /** Kafka is out of reach, or its client gave up: exit 69, and systemd starts the process again. */
  KAFKA_LOST: 'kafka-lost',
} as const;
export type Fault = (typeof Fault)[keyof typeof Fault];

const FAULTS: ReadonlySet<string> = new Set(Object.values(Fault));

/** An error an adapter classified. */
export class FaultError extends Error {
  constructor(
    readonly fault: Fault,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FaultError';
  }
}

/** The fault an adapter marked on an error; undefined for an error nobody classified (a bug: exit 70). */
export function faultOf(error: unknown): Fault | undefined {
  const fault = typeof error === 'object' && error !== null ? (error as { fault?: unknown }).fault : undefined;
  return typeof fault === 'string' && FAULTS.has(fault) ? (fault as Fault) : undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
