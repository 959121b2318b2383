/**
 * A large generated sample of messages (test/helpers/fuzz.ts, fixed seeds), converted and written to
 * the real InfluxDB: every line the converter emits is accepted, not one refused point.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { convertBatch, type MessageKind } from '../../src/convert/index.js';
import { InfluxHttp } from '../../src/influx/client.js';
import { PointStore } from '../../src/influx/store.js';
import { WriteBuffer } from '../../src/write-buffer.js';
import { alarmMessage, metricMessage } from '../helpers/fuzz.js';
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
        const lines = batch.lines.get(database)?.count ?? 0;
        const http = new InfluxHttp({ url: target.url });
        const log = pino({ level: 'silent' });
        const report = await new PointStore(http, { pointsPerRequest: 5000, retentionHours: 0, log }).store(new WriteBuffer([batch]).lines);
        await http.query(`DROP DATABASE "${database}"`);
        t.diagnostic(`cases=${values.length} lines=${lines} dropped=${batch.drops.length} stored=${report.stored} refused=${report.refused}`);
        assert.equal(lines + batch.drops.length, values.length);
        assert.ok(lines > values.length / 10, `a fair share converted: ${lines}`);
        assert.equal(report.refused, 0, 'InfluxDB refused none of the lines');
        assert.equal(report.stored, lines);
      });
    }
  }
});
