/** What converting one Kafka message gives: a line for InfluxDB, or the reason it is dropped. */
import { type Json, pyStr } from './python.js';

export interface Point {
  /** One line of line protocol, precision ms. */
  line: string;
  /** The tenant it belongs to; chooses the database when `db_per_tenant` is on. */
  tenantId: string;
}
/**
 * The class of a drop, a short fixed word (a metric label, unlike the reason, which names fields
 * and values): the value is empty, is not UTF-8, is not JSON, or is JSON that cannot be stored
 * (a field missing or of the wrong type, a value InfluxDB cannot hold...).
 */
export type DropKind = 'empty' | 'not_utf8' | 'not_json' | 'invalid';

/** Why a message cannot be stored; it is dropped, logged and counted. */
export class Drop {
  constructor(
    readonly reason: string,
    readonly kind: DropKind = 'invalid',
  ) {}
}
export type Conversion = Point | Drop;

export function dropped(reason: string, kind?: DropKind): Drop {
  return new Drop(reason, kind);
}

export function isObject(x: Json | undefined): x is { [key: string]: Json } {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A required field the reference reads as text: a missing one drops the message; any other value,
 * null included, is used as Python's str() prints it (`None`, `True`, `{'a': 1}`).
 */
export function field(obj: { [key: string]: Json }, key: string, where: string): string | Drop {
  if (!(key in obj)) return dropped(`${where}.${key} is missing`);
  return pyStr(obj[key]);
}

/** A finished line, unless it holds a lone UTF-16 surrogate, which has no UTF-8 form. */
export function storableText(line: string, tenantId: string): Conversion {
  if (!line.isWellFormed()) return dropped('message holds a lone UTF-16 surrogate (\\uD800-\\uDFFF), which UTF-8 cannot encode');
  return { line, tenantId };
}
