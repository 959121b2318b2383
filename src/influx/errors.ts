/**
 * What an InfluxDB 1.x answer means. The store decides on `code`, machines on `fault`
 * (src/ports/faults.ts), never on message text; the text is classified here, once.
 */
import { Fault } from '../ports/faults.js';

export const InfluxErrorCode = {
  /** 404 `database not found`: create it and write again. */
  DATABASE_NOT_FOUND: 'DATABASE_NOT_FOUND',
  /** 400 `partial write: ...`: the other points were stored; the named ones are dropped for good. */
  PARTIAL_WRITE: 'PARTIAL_WRITE',
  /** 400 that is not a partial write: nothing of this request was stored; split it to find the bad points. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** 413: the body is over InfluxDB's limit; split it. */
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  /** 401/403: credentials refused, or the user may not do this; a configuration problem. */
  AUTH_FAILED: 'AUTH_FAILED',
  /** 500 `retention policy not found`: a configuration problem. */
  RETENTION_POLICY_NOT_FOUND: 'RETENTION_POLICY_NOT_FOUND',
  /** The server's TLS certificate failed verification, or the server does not speak TLS. */
  TLS_REJECTED: 'TLS_REJECTED',
  /** Connection reset, timeout, 5xx: try again later. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** No connection at all (refused, no route, no such host): try again later. */
  UNREACHABLE: 'UNREACHABLE',
  /** A statement of a /query request failed. */
  QUERY_FAILED: 'QUERY_FAILED',
} as const;
export type InfluxErrorCode = (typeof InfluxErrorCode)[keyof typeof InfluxErrorCode];

/** The fault of each code; a code the store handles itself (split, create) is transient if it escapes. */
const FAULT: Readonly<Record<InfluxErrorCode, Fault>> = {
  DATABASE_NOT_FOUND: Fault.TRANSIENT,
  PARTIAL_WRITE: Fault.TRANSIENT,
  BAD_REQUEST: Fault.TRANSIENT,
  REQUEST_TOO_LARGE: Fault.TRANSIENT,
  AUTH_FAILED: Fault.CONFIGURATION,
  RETENTION_POLICY_NOT_FOUND: Fault.CONFIGURATION,
  TLS_REJECTED: Fault.CONFIGURATION,
  UNAVAILABLE: Fault.TRANSIENT,
  UNREACHABLE: Fault.UNREACHABLE,
  QUERY_FAILED: Fault.TRANSIENT,
};

export class InfluxError extends Error {
  readonly fault: Fault;
  constructor(
    readonly code: InfluxErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'InfluxError';
    this.fault = FAULT[code];
  }
}

/** What an operator should change, for the codes that are configuration faults. */
const FIX: Partial<Record<InfluxErrorCode, string>> = {
  AUTH_FAILED: 'check [influxdb] user and password, and that the user may write to the database (and create it, when it is created on demand)',
  RETENTION_POLICY_NOT_FOUND: 'give the database a default retention policy (CREATE RETENTION POLICY ... DEFAULT), or create the one named',
};

/** Classifies a non-2xx answer of InfluxDB by its status and its `{"error": "..."}` text. */
export function classifyHttpError(status: number, errorText: string): InfluxError {
  const text = errorText.trim();
  const err = (code: InfluxErrorCode) => {
    const fix = FIX[code];
    return new InfluxError(code, `InfluxDB answered ${status}: ${text}${fix ? `: ${fix}` : ''}`, status);
  };
  if (status === 404 && text.includes('database not found')) return err(InfluxErrorCode.DATABASE_NOT_FOUND);
  if (status === 401 || status === 403) return err(InfluxErrorCode.AUTH_FAILED);
  if (status === 413) return err(InfluxErrorCode.REQUEST_TOO_LARGE);
  if (status === 400 && text.includes('HTTP request to an HTTPS server')) {
    return new InfluxError(InfluxErrorCode.TLS_REJECTED, `InfluxDB answered ${status}: ${text}: set [influxdb] ssl = true`, status);
  }
  if (text.includes('retention policy not found')) return err(InfluxErrorCode.RETENTION_POLICY_NOT_FOUND);
  if (status === 400 && text.startsWith('partial write')) return err(InfluxErrorCode.PARTIAL_WRITE);
  if (status === 400) return err(InfluxErrorCode.BAD_REQUEST);
  // Anything else (a 404 from a proxy, 408, 429, 5xx) says nothing about the points: retry later.
  return err(InfluxErrorCode.UNAVAILABLE);
}

/**
 * How many points a partial write dropped: its `dropped=N`, else one per `unable to parse`
 * (InfluxDB 1.x appends `dropped=0` to parse errors).
 */
export function droppedByPartialWrite(errorText: string): number {
  const m = /dropped=(\d+)/.exec(errorText);
  if (m && Number(m[1]) > 0) return Number(m[1]);
  return Math.max(1, errorText.split('unable to parse').length - 1);
}
