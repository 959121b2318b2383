/**
 * The converter against vectors produced by the reference monasca-persister 9.0.0's own code
 * (test/fixtures/conformance/README.md): the same line wherever InfluxDB accepts the reference's
 * line, and a drop wherever the reference raises or writes a line InfluxDB refuses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { convertMessage, databaseFor, Drop, type MessageKind } from '../../src/convert/index.js';
import { fixture } from '../helpers/paths.js';

interface Vector {
  name: string;
  input: string;
  reference: { line?: string; error?: string; write_error?: string; db_per_tenant_error?: string; database_per_tenant?: string };
  influx_accepts: boolean | null;
  /** Set where this project knowingly writes JSON-equivalent text in a string field (see below). */
}

function vectors(file: string): Vector[] {
  return readFileSync(fixture('conformance', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Vector);
}

for (const [kind, file] of [['metrics', 'metrics.jsonl'], ['alarms', 'alarms.jsonl']] as [MessageKind, string][]) {
  for (const v of vectors(file)) {
    test(`${kind}: ${v.name}`, () => {
      const got = convertMessage(kind, Buffer.from(v.input, 'utf8'));
      const storable = v.reference.line !== undefined && v.influx_accepts === true;
      if (!storable) {
        assert.ok(got instanceof Drop, `expected a drop, got ${JSON.stringify(got)}`);
        assert.match(got.reason, /\S/);
        return;
      }
      assert.ok(!(got instanceof Drop), `dropped: ${got instanceof Drop ? got.reason : ''}`);
      assert.equal(got.line, v.reference.line);
      if (v.reference.database_per_tenant && !v.reference.db_per_tenant_error) {
        assert.equal(databaseFor({ databaseName: 'mon', dbPerTenant: true }, got.tenantId), v.reference.database_per_tenant);
      }
    });
  }
}
