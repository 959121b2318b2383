/**
 * A large generated sample of messages (test/helpers/fuzz.ts, fixed seeds), converted and written to
 * the real InfluxDB: every line the converter emits is accepted, not one refused point.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { convertBatch, type MessageKind, splitLines } from '../../src/convert/index.js';
import { InfluxHttp } from '../../src/influx/client.js';
import { PointStore } from '../../src/influx/store.js';
import { WriteBuffer } from '../../src/write-buffer.js';
import { alarmMessage, metricMessage } from '../helpers/fuzz.js';
import { parseLine } from '../helpers/line-protocol.js';
import { influxTargets, stack, uniqueName } from '../helpers/stack.js';

const SAMPLE: Record<MessageKind, number> = { metrics: 20_000, alarms: 5_000 };

describe('generated messages on the real InfluxDB', { timeout: 300_000 }, async () => {
  const targets = influxTargets(await stack());
  for (const target of targets) {
    for (const kind of ['metrics', 'alarms'] as const) {
      test(`${kind} on InfluxDB ${target.version}: every emitted line accepted`, async (t) => {
        const values = fc.sample(kind === 'metrics' ? metricMessage : alarmMessage, { numRuns: SAMPLE[kind], seed: kind === 'metrics' ? 42 : 43 });
        const database = `fuzz_${uniqueName('')}`;
        const batch = convertBatch(
          kind,
          { partition: 0, messages: values.map((v, i) => ({ offset: String(i), value: Buffer.from(v) })) },
          { databaseName: database, dbPerTenant: false },
        );
        const block = batch.lines.get(database);
        const lines = block?.count ?? 0;
        // the series InfluxDB must hold: one per measurement and tags of the lines
        const series = new Set(splitLines(block ?? { text: '', count: 0 }).filter(Boolean).map((l) => {
          const p = parseLine(l);
          return `${p.measurement}\u0001${p.tags.map(([k, v]) => `${k}=${v}`).join(',')}`;
        })).size;
        const http = new InfluxHttp({ url: target.url });
        const log = pino({ level: 'silent' });
        const report = await new PointStore(http, { pointsPerRequest: 5000, retentionHours: 0, log }).store(new WriteBuffer([batch]).lines);
        // read back (counting points of thousands of measurements takes InfluxDB too long; listing series does not)
        const held = (await http.query('SHOW SERIES', database))[0]?.series?.[0]?.values?.length ?? 0;
        await http.query(`DROP DATABASE "${database}"`);
        t.diagnostic(`cases=${values.length} lines=${lines} dropped=${batch.drops.length} refused=${report.refused} series=${series} held=${held}`);
        assert.ok(lines > values.length / 10, `a fair share converted: ${lines}`);
        assert.equal(report.refused, 0, 'InfluxDB refused none of the lines');
        assert.equal(held, series, 'InfluxDB holds every series written (no line skipped silently)');
      });
    }
  }
});
