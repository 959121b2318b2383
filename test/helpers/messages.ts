/** Sample Monasca messages, as the Monasca API and threshold engine put them on Kafka. */

export const TENANTS = ['tenant-a', 'tenant-b', 'tenant-c', 'tenant-d', 'tenant-e'];
export const BASE_TIME_MS = 1_700_000_000_000;

export interface SampleMetric {
  value: string;
  name: string;
  tenant: string;
  hostname: string;
  timestampMs: number;
  metricValue: number;
}

/** The i-th sample metric: distinct (series, timestamp) for every i, so each is one point. */
export function sampleMetric(i: number, baseTimeMs = BASE_TIME_MS, tenants = TENANTS): SampleMetric {
  const tenant = tenants[i % tenants.length];
  const name = ['cpu.idle_perc', 'mem.free_mb', 'disk.space_used_perc'][i % 3];
  const hostname = `host-${i % 17}`;
  const timestampMs = baseTimeMs + i;
  const metricValue = (i % 1000) + 0.5;
  const value = JSON.stringify({
    metric: {
      name,
      dimensions: { hostname, service: 'monitoring', component: 'persister-test' },
      timestamp: timestampMs,
      value: metricValue,
      value_meta: i % 10 === 0 ? { note: `sample ${i}` } : null,
    },
    meta: { tenantId: tenant, region: 'RegionOne' },
    creation_time: Math.floor(timestampMs / 1000),
  });
  return { value, name, tenant, hostname, timestampMs, metricValue };
}

/** The i-th sample alarm transition; its sub-alarm threshold is written `10.0`, as the threshold engine does. */
export function sampleAlarm(
  i: number,
  baseTimeMs = BASE_TIME_MS,
  tenants = TENANTS,
): { value: string; tenant: string; alarmId: string; timestampMs: number } {
  const tenant = tenants[i % tenants.length];
  const alarmId = `alarm-${i}`;
  const timestampMs = baseTimeMs + i;
  const value = JSON.stringify({
    'alarm-transitioned': {
      tenantId: tenant,
      alarmId,
      alarmDefinitionId: 'def-1',
      alarmName: 'cpu high',
      alarmDescription: '',
      actionsEnabled: true,
      metrics: [{ id: null, name: 'cpu.idle_perc', dimensions: { hostname: `host-${i % 17}` } }],
      oldState: i % 2 ? 'OK' : 'ALARM',
      newState: i % 2 ? 'ALARM' : 'OK',
      stateChangeReason: 'Thresholds were exceeded for the sub-alarms: avg(cpu.idle_perc) < 10.0',
      link: null,
      lifecycleState: null,
      severity: 'HIGH',
      subAlarms: [
        {
          subAlarmExpression: { function: 'AVG', metricName: 'cpu.idle_perc', operator: 'LT', threshold: 10.0, period: 60, periods: 1 },
          subAlarmState: 'ALARM',
          currentValues: [5.5],
        },
      ],
      timestamp: timestampMs,
    },
  }).replace('"threshold":10,', '"threshold":10.0,');
  return { value, tenant, alarmId, timestampMs };
}

/** A malformed message of the i-th kind: each is dropped with a different reason. */
export function malformedMessage(i: number): string {
  const kinds = [
    'not json at all',
    '{"metric": {"name": "x", "timestamp": 1, "value": 1}}',
    '{"metric": {"name": "x", "timestamp": 1, "value": null}, "meta": {"tenantId": "t", "region": "r"}}',
    '{"metric": {"name": "x", "timestamp": 1, "value": "NaN"}, "meta": {"tenantId": "t", "region": "r"}}',
    '{"metric": {"name": "x", "dimensions": {"h": ""}, "timestamp": 1, "value": 1}, "meta": {"tenantId": "t", "region": "r"}}',
    '[1, 2, 3]',
  ];
  return kinds[i % kinds.length];
}
