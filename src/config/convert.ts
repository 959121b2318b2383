/** Conversion of an option's text (already interpolated) to its typed value. */
import { accessSync, constants, statSync } from 'node:fs';
import type { OptionSpec } from './schema.js';

/** Why a value is invalid; the loader adds file, section, option and value. */
export class InvalidValue extends Error {}

const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0'];
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^(?=.*:.*:)[0-9a-f:.]+$/i; // loose (two colons at least): literals are checked by the clients that use them
const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/i;

export function isHost(text: string): boolean {
  if (IPV4.test(text) || IPV6.test(text)) return true;
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l)) && !/^[\d.]+$/.test(name);
}

function integer(text: string, spec: OptionSpec, what = 'an integer'): number {
  const t = text.trim();
  const n = Number(t);
  if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(n)) throw new InvalidValue(`not ${what}`);
  return bounded(n, spec);
}

function bounded(n: number, spec: OptionSpec): number {
  const { min, max } = spec;
  if (min !== undefined && n < min) throw new InvalidValue(max === undefined ? `must be at least ${min}` : `must be between ${min} and ${max}`);
  if (max !== undefined && n > max) throw new InvalidValue(min === undefined ? `must be at most ${max}` : `must be between ${min} and ${max}`);
  return n;
}

function port(text: string): number {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > 65535) throw new InvalidValue('not a port number (1-65535)');
  return n;
}

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** `host:port`, or `[ipv6]:port`; returned normalized. */
function hostPort(entry: string): string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([^:]*)$/.exec(entry);
  const host = m?.[1] ?? m?.[2];
  if (!m || host === undefined || !isHost(host)) throw new InvalidValue(`"${entry}" is not host:port (for example 127.0.0.1:9092)`);
  let p: number;
  try {
    p = port(m[3]);
  } catch {
    throw new InvalidValue(`"${entry}" is not host:port: "${m[3]}" is not a port number (1-65535)`);
  }
  return m[1] !== undefined ? `[${host}]:${p}` : `${host}:${p}`;
}

export function convert(spec: OptionSpec, text: string): unknown {
  switch (spec.type) {
    case 'string':
      return text;
    case 'host': {
      const t = text.trim();
      if (!isHost(t)) throw new InvalidValue('not an IP address or host name');
      return t;
    }
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (TRUE.includes(t)) return true;
      if (FALSE.includes(t)) return false;
      if (spec.auto && t === 'auto') return 'auto';
      throw new InvalidValue(`not ${spec.auto ? 'auto or ' : ''}a boolean (true/false, yes/no, on/off, 1/0)`);
    }
    case 'int':
      return integer(text, spec);
    case 'port':
      return port(text);
    case 'float': {
      const t = text.trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) throw new InvalidValue('not a number');
      return bounded(Number(t), spec);
    }
    case 'list':
      return list(text);
    case 'hostports': {
      const entries = list(text);
      if (entries.length === 0) throw new InvalidValue('needs at least one host:port');
      return entries.map(hostPort);
    }
    case 'choice': {
      const t = text.trim();
      const found = spec.choices?.find((c) => c.toLowerCase() === t.toLowerCase());
      if (found === undefined) throw new InvalidValue(`not one of ${spec.choices?.join(', ')}`);
      return found;
    }
    case 'file': {
      const t = text.trim();
      if (t === '') return undefined; // unset
      try {
        accessSync(t, constants.R_OK);
      } catch (e) {
        throw new InvalidValue(`cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      if (!statSync(t).isFile()) throw new InvalidValue('not a file (a directory? name the PEM file itself)');
      return t;
    }
    case 'driver': {
      const t = text.trim();
      const drivers = Object.entries(spec.drivers ?? {});
      const found = drivers.find(([short, path]) => t.toLowerCase() === short || t === path);
      if (found) return found[0];
      throw new InvalidValue(`unknown driver; expected ${drivers.map(([short, path]) => `"${short}" (or ${path})`).join(' or ')}`);
    }
  }
}
