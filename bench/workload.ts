/**
 * Realistic benchmark data, as the Monasca API puts metrics on Kafka:
 *   {"metric": {name, dimensions, timestamp, value, value_meta}, "meta": {tenantId, region}, "creation_time"}
 *
 * A fixed set of series (12,000 by default: 2,000 hosts, each sending six of the metrics below),
 * 5 to 8 dimensions each; every host belongs to one of 5 tenants. Message k is series k % S of
 * round floor(k / S); rounds are 30 s apart and end now, so timestamps are recent and every
 * (series, timestamp) is distinct: each message is one point in InfluxDB. value_meta is set on
 * one message in ten. Deterministic for a given `nowMs`, so the same messages can be built twice.
 */
import { sampleAlarm, TENANTS } from '../test/helpers/messages.js';

export const HOSTS = 2000;
const REGIONS = ['RegionOne', 'RegionTwo'];
const ZONES = ['nova-az1', 'nova-az2', 'nova-az3'];
const ROUND_MS = 30_000;

interface Template {
  name: string;
  service: string;
  component: string;
  /** Extra dimensions of the host's n-th instance of this metric. */
  extra: (n: number) => Record<string, string>;
  value: (seed: number) => number;
}

const TEMPLATES: Template[] = [
  { name: 'cpu.idle_perc', service: 'monitoring', component: 'monasca-agent', extra: () => ({}), value: (r) => (r % 1000) / 10 },
  { name: 'mem.usable_perc', service: 'monitoring', component: 'monasca-agent', extra: () => ({}), value: (r) => (r % 997) / 10 },
  {
    name: 'disk.space_used_perc',
    service: 'monitoring',
    component: 'monasca-agent',
    extra: (n) => ({ device: `/dev/vd${'abcd'[n % 4]}1`, mount_point: ['/', '/var', '/srv', '/var/lib/nova'][n % 4] }),
    value: (r) => (r % 1000) / 10,
  },
  {
    name: 'net.in_bytes_sec',
    service: 'networking',
    component: 'neutron-openvswitch-agent',
    extra: (n) => ({ device: `tap${(n * 7919).toString(16).padStart(8, '0')}-0${n % 10}` }),
    value: (r) => r * 13.25,
  },
  {
    name: 'process.cpu_perc',
    service: 'compute',
    component: 'nova-compute',
    extra: (n) => ({ process_name: ['nova-compute', 'libvirtd', 'qemu-kvm', 'ovs-vswitchd'][n % 4] }),
    value: (r) => (r % 400) / 4,
  },
  {
    name: 'http_response_time',
    service: 'compute',
    component: 'nova-api',
    extra: (n) => ({ url: `http://controller-${n % 3}:8774/v2.1`, detail: 'healthcheck' }),
    value: (r) => 0.001 * (r % 5000),
  },
];

export interface Series {
  name: string;
  tenantId: string;
  region: string;
  dimensions: Record<string, string>;
  template: Template;
}

/** `count` distinct series (at least HOSTS; a multiple of HOSTS keeps every host alike). */
export function makeSeries(count = 12_000): Series[] {
  const series: Series[] = [];
  for (let i = 0; i < count; i++) {
    const host = i % HOSTS;
    const n = Math.floor(i / HOSTS); // the host's n-th series
    const template = TEMPLATES[n % TEMPLATES.length];
    const instance = Math.floor(n / TEMPLATES.length);
    const region = REGIONS[host % REGIONS.length];
    series.push({
      name: template.name,
      tenantId: TENANTS[host % TENANTS.length],
      region,
      template,
      dimensions: {
        hostname: `compute-${String(host).padStart(4, '0')}.${region.toLowerCase()}.example.net`,
        service: template.service,
        component: template.component,
        cluster: `cluster-${Math.floor(host / 100)}`,
        availability_zone: ZONES[host % ZONES.length],
        ...template.extra(instance + host),
      },
    });
  }
  return series;
}

export class MetricWorkload {
  readonly series: Series[];

  constructor(
    readonly messages: number,
    readonly nowMs = Date.now(),
    seriesCount = 12_000,
  ) {
    this.series = makeSeries(seriesCount);
  }

  get rounds(): number {
    return Math.ceil(this.messages / this.series.length);
  }

  /** The k-th message's JSON. */
  message(k: number): string {
    const s = this.series[k % this.series.length];
    const round = Math.floor(k / this.series.length);
    // rounds end now; within a round, series report over a few seconds, each at its own offset
    const timestamp = this.nowMs - (this.rounds - round) * ROUND_MS + (k % this.series.length) % 5000;
    const seed = (k * 2654435761) >>> 8;
    return JSON.stringify({
      metric: {
        name: s.name,
        dimensions: s.dimensions,
        timestamp,
        value: s.template.value(seed),
        value_meta: k % 10 === 0 ? { audit_id: `req-${seed.toString(16)}`, detail: 'sampled by the agent' } : null,
      },
      meta: { tenantId: s.tenantId, region: s.region },
      creation_time: Math.floor(timestamp / 1000) + 1,
    });
  }
}

/** Alarm state transitions, as the threshold engine puts them on Kafka, with recent timestamps. */
export class AlarmWorkload {
  private readonly base: number;

  constructor(
    readonly messages: number,
    nowMs = Date.now(),
  ) {
    this.base = nowMs - messages;
  }

  message(k: number): string {
    return sampleAlarm(k, this.base).value;
  }
}

export type Workload = MetricWorkload | AlarmWorkload;
