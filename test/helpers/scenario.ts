/**
 * What the end-to-end test files share: the stack's addresses, daemons that are killed when the
 * file ends, waiting for commits, and counting what landed in InfluxDB.
 */
import { after, before } from 'node:test';
import { Daemon, type DaemonSettings, writeConfig } from './daemon.js';
import { offsets } from './kafka.js';
import { influxQuery, stack } from './stack.js';

export const SAMPLE_MEASUREMENTS = ['cpu.idle_perc', 'mem.free_mb', 'disk.space_used_perc'];

export interface Scenario {
  brokers: string[];
  influxUrl: string;
  /** Starts a daemon with a configuration file written from the settings. */
  start(settings: DaemonSettings): Daemon;
}

/** Call at the top of a test file: the stack comes up before its tests, its daemons die after. */
export function onTheStack(): Scenario {
  const daemons: Daemon[] = [];
  const scenario: Scenario = {
    brokers: [],
    influxUrl: '',
    start(settings) {
      const d = Daemon.start(writeConfig(settings));
      daemons.push(d);
      return d;
    },
  };
  before(async () => {
    const s = await stack();
    scenario.brokers = s.kafka.brokers;
    scenario.influxUrl = s.influx.url;
  });
  after(async () => {
    for (const d of daemons) if (d.child.exitCode === null && d.child.signalCode === null) await d.stop('SIGKILL');
  });
  return scenario;
}

export async function committedCount(brokers: string[], group: string, topic: string): Promise<number> {
  return (await offsets(brokers, group, topic)).reduce((n, p) => n + Math.max(0, Number(p.committed)), 0);
}

/** Waits until the group has committed `atLeast` messages of the topic, or every partition to its end. */
export async function waitForCommitted(
  brokers: string[],
  group: string,
  topic: string,
  atLeast: number | 'end',
  timeoutMs = 60_000,
  daemon?: Daemon,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const o = await offsets(brokers, group, topic);
    const committed = o.reduce((n, p) => n + Math.max(0, Number(p.committed)), 0);
    if (atLeast === 'end' ? o.every((p) => p.committed === p.end) : committed >= atLeast) return;
    if (Date.now() > deadline) {
      throw new Error(`${committed} committed, waiting for ${atLeast}, after ${timeoutMs} ms: ${JSON.stringify(o)}\n${daemon?.tail(30) ?? ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Points of one measurement (the largest count of its fields). */
export async function pointCount(url: string, db: string, measurement: string, auth?: { user: string; password: string }): Promise<number> {
  const r = await influxQuery(url, `SELECT count(*) FROM "${measurement}"`, db, auth).catch(() => []);
  const values = r[0]?.series?.[0]?.values?.[0] as number[] | undefined;
  return values ? Math.max(...values.slice(1)) : 0;
}

/** Points of the sample metrics (test/helpers/messages.ts) in a database. */
export async function storedMetricPoints(url: string, db: string, auth?: { user: string; password: string }): Promise<number> {
  let total = 0;
  for (const m of SAMPLE_MEASUREMENTS) total += await pointCount(url, db, m, auth);
  return total;
}
