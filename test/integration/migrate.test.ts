/**
 * `monasca-persister migrate-db-per-tenant` on the real InfluxDB: 3 tenants x 3 measurements copied
 * into a database per tenant, interrupted (InfluxDB cut off through the fault proxy) and resumed:
 * every point arrives once, tags kept, the source intact; a third run copies nothing; a dry run
 * writes nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { joinLines } from '../../src/convert/lines.js';
import { InfluxHttp } from '../../src/influx/client.js';
import { writeConfig } from '../helpers/daemon.js';
import { ROOT } from '../helpers/paths.js';
import { FaultProxy } from '../helpers/proxy.js';
import { stack, uniqueName } from '../helpers/stack.js';

const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const TENANTS = ['t1', 't2', 't3'];
const MEASUREMENTS = ['cpu.idle_perc', 'mem.free_mb', 'disk.used'];
const HOURS = 6;
const PER_HOUR = 5;

function run(args: string[]): { done: Promise<{ code: number | null; out: string; err: string }> } {
  const p = spawn(process.execPath, [CLI, 'migrate-db-per-tenant', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { done: new Promise((resolve) => p.on('exit', (code) => resolve({ code, out, err }))) };
}

async function count(http: InfluxHttp, db: string, measurement: string, tenant?: string): Promise<number> {
  const where = tenant ? ` WHERE "_tenant_id" = '${tenant}'` : '';
  const r = await http.query(`SELECT count("value") FROM "${measurement}"${where}`, db).catch(() => []);
  return Number(r[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
}

describe('migrate-db-per-tenant', { timeout: 300_000 }, () => {
  test('interrupted and resumed: every point once in its tenant database; the source intact; a third run copies nothing', async () => {
    const s = await stack();
    const http = new InfluxHttp({ url: s.influx.url });
    const source = `mig_${uniqueName('')}`;
    const now = Date.now();
    const lines: string[] = [];
    for (const t of TENANTS) {
      for (const m of MEASUREMENTS) {
        for (let i = 0; i < HOURS * PER_HOUR; i++) {
          lines.push(`${m},_region=r1,_tenant_id=${t},hostname=h${i % 3} value=${i}.5,value_meta="{}" ${now - 60_000 - i * (3_600_000 / PER_HOUR)}`);
        }
      }
    }
    await http.createDatabase(source, 0);
    await http.write(source, joinLines(lines));
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(s.influx.url).port) });
    const dir = mkdtempSync(join(tmpdir(), 'migrate-'));
    const stateFile = join(dir, 'state.json');
    const config = writeConfig({ brokers: s.kafka.brokers, influxUrl: proxy.url, metricsTopic: 'unused', alarmsTopic: 'unused', group: 'unused', database: source, retentionHours: 24 });
    const args = ['--config-file', config, '--unit', 'h', '--end-offset', '8', '--state-file', stateFile];
    try {
      // a dry run: the plan, nothing written
      const dry = await run([...args, '--dry-run']).done;
      assert.equal(dry.code, 0, dry.out + dry.err);
      assert.match(dry.out, /^plan: .* 3 measurements, 8 windows of 1h .* 72 copies, 72 left; retention policy of new databases: 24h/m);
      assert.ok(!existsSync(stateFile));
      const dbs = JSON.stringify(await http.query('SHOW DATABASES'));
      assert.ok(!dbs.includes(`${source}_t1`), 'no database created by a dry run');

      // interrupted: InfluxDB cut off after some windows
      proxy.setMode({ delayMs: 60 });
      const first = run(args);
      const doneSoFar = () => (existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { done: string[] }).done.length : 0);
      while (doneSoFar() < 20) await sleep(20);
      proxy.setMode('refuse');
      const stopped = await first.done;
      assert.equal(stopped.code, 69, stopped.out + stopped.err);
      assert.match(stopped.out, /stopped: .*run again to resume/);
      const atStop = doneSoFar();
      assert.ok(atStop >= 20 && atStop < 72, `interrupted part way: ${atStop}`);

      // resumed
      proxy.setMode('pass');
      const resumed = await run(args).done;
      assert.equal(resumed.code, 0, resumed.out + resumed.err);
      assert.match(resumed.out, new RegExp(`72 copies, ${72 - atStop} left`));
      assert.match(resumed.out, new RegExp(`done: ${72 - atStop} copies made now`));

      for (const t of TENANTS) {
        for (const m of MEASUREMENTS) {
          assert.equal(await count(http, `${source}_${t}`, m), HOURS * PER_HOUR, `${t} ${m}: every point once`);
          assert.equal(await count(http, source, m, t), HOURS * PER_HOUR, `${t} ${m}: the source intact`);
        }
        const other = TENANTS.find((x) => x !== t)!;
        assert.equal(await count(http, `${source}_${t}`, MEASUREMENTS[0], other), 0, 'no other tenant’s points');
      }
      const tags = await http.query(`SHOW TAG VALUES FROM "cpu.idle_perc" WITH KEY = "hostname"`, `${source}_t2`);
      assert.deepEqual(tags[0]?.series?.[0]?.values?.map((v) => v[1]), ['h0', 'h1', 'h2'], 'tags kept');
      const policies = await http.query(`SHOW RETENTION POLICIES ON "${source}_t1"`);
      assert.ok(JSON.stringify(policies).includes('"24h"'), 'the configured retention policy');

      const again = await run(args).done;
      assert.equal(again.code, 0);
      assert.match(again.out, /72 copies, 0 left/);
      assert.match(again.out, /done: 0 copies made now/);
      assert.equal(await count(http, `${source}_t1`, MEASUREMENTS[0]), HOURS * PER_HOUR);

      // the state file of another migration (other units): refused before anything is done
      const other = await run(['--config-file', config, '--unit', 'd', '--state-file', stateFile]).done;
      assert.equal(other.code, 64, other.out + other.err);
      assert.match(other.out, /cannot use the state file: .* records a migration of mig_\S+ in units of h, not of mig_\S+ in d/);
    } finally {
      await proxy.close();
      for (const db of [source, ...TENANTS.map((t) => `${source}_${t}`)]) await http.query(`DROP DATABASE "${db}"`).catch(() => {});
    }
  });
});
