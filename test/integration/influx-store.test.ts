/**
 * PointStore + InfluxHttp against the real InfluxDB 1.x of the local stack (test/helpers/stack.sh),
 * each version of it (1.6.7 and 1.8.10): databases created on demand with their retention policy,
 * bad points isolated, requests split; then credentials (on 1.6.7) and an unreachable server.
 * Every test uses databases of its own and drops them.
 */
import { Fault } from '../../src/ports/faults.js';
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { convertMessage, Drop, joinLines, type LineBlock } from '../../src/convert/index.js';
import { InfluxHttp, quoteIdentifier, type InfluxConnection } from '../../src/influx/client.js';
import { InfluxError, InfluxErrorCode } from '../../src/influx/errors.js';
import { PointStore, type StoreOptions } from '../../src/influx/store.js';
import { influxQuery, influxTargets, stack, uniqueName } from '../helpers/stack.js';

const silent = pino({ level: 'silent' });

/** InfluxHttp that remembers the size of every /write request it sends. */
class CountingHttp extends InfluxHttp {
  readonly writes: number[] = [];
  override async write(database: string, lines: LineBlock, retentionPolicy?: string) {
    this.writes.push(lines.count);
    return super.write(database, lines, retentionPolicy);
  }
}

/** Each database's lines as one block, as one converted batch holds them. */
function blocksOf(entries: [string, string[]][]): Map<string, LineBlock[]> {
  return new Map(entries.map(([db, lines]) => [db, [joinLines(lines)]]));
}

function storeOn(http: InfluxHttp, options: Partial<StoreOptions> = {}): PointStore {
  return new PointStore(http, { pointsPerRequest: 1000, retentionHours: 0, log: silent, ...options });
}

const s = await stack();

/** An InfluxDB of the stack, with the credentials it needs if any. */
type Server = { url: string; user?: string; password?: string };

function query(server: Server, q: string, db?: string) {
  const auth = server.user === undefined ? undefined : { user: server.user, password: server.password ?? '' };
  return influxQuery(server.url, q, db, auth);
}

/** A fresh database name, dropped when the test ends (it may or may not have been created). */
function database(t: TestContext, server: Server, prefix = 'store'): string {
  const db = uniqueName(prefix);
  t.after(async () => {
    await query(server, `DROP DATABASE ${quoteIdentifier(db)}`);
  });
  return db;
}

/** `SELECT <what> FROM <measurement>` rows as [time, ...values]. */
async function rows(server: Server, db: string, what: string, measurement: string): Promise<unknown[][]> {
  const r = await query(server, `SELECT ${what} FROM ${quoteIdentifier(measurement)}`, db);
  return r[0]?.series?.[0]?.values ?? [];
}

async function databases(server: Server): Promise<string[]> {
  const r = await query(server, 'SHOW DATABASES');
  return (r[0]?.series?.[0]?.values ?? []).map((v) => String(v[0]));
}

function metricLine(name: string, value: number, time: number, tenant = 't1'): string {
  const c = convertMessage(
    'metrics',
    JSON.stringify({ metric: { name, dimensions: { host: 'h1' }, timestamp: time, value }, meta: { tenantId: tenant, region: 'r1' } }),
  );
  assert.ok(!(c instanceof Drop), c instanceof Drop ? c.reason : '');
  return c.line;
}

async function rejection(p: Promise<unknown>): Promise<InfluxError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof InfluxError, `not an InfluxError: ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

for (const influx of influxTargets(s)) describe(`PointStore on a real InfluxDB ${influx.version}`, () => {
  test('database not found -> created, then the points are written', async (t) => {
    const db = database(t, influx);
    assert.ok(!(await databases(influx)).includes(db));
    const store = storeOn(new InfluxHttp({ url: influx.url }));
    const lines = [metricLine('cpu', 1.5, 1000), metricLine('cpu', 2, 2000), metricLine('cpu', -3.25, 3000)];

    const report = await store.store(blocksOf([[db, lines]]));

    assert.deepEqual(report, { stored: 3, refused: 0, refusals: [] });
    assert.ok((await databases(influx)).includes(db));
    assert.deepEqual(await rows(influx, db, 'value, host, _tenant_id, _region, value_meta', 'cpu'), [
      [1000, 1.5, 'h1', 't1', 'r1', '{}'],
      [2000, 2, 'h1', 't1', 'r1', '{}'],
      [3000, -3.25, 'h1', 't1', 'r1', '{}'],
    ]);
  });

  test('several databases in one call, each created', async (t) => {
    const a = database(t, influx);
    const b = database(t, influx);
    const store = storeOn(new InfluxHttp({ url: influx.url }));
    const report = await store.store(blocksOf([[a, [metricLine('cpu', 1, 1000)]], [b, [metricLine('mem', 2, 1000), metricLine('mem', 3, 2000)]]]));
    assert.deepEqual(report, { stored: 3, refused: 0, refusals: [] });
    assert.equal((await rows(influx, a, 'value', 'cpu')).length, 1);
    assert.equal((await rows(influx, b, 'value', 'mem')).length, 2);
  });

  test('retentionHours 2 -> created with default retention policy "2h", duration 2h0m0s', async (t) => {
    const db = database(t, influx);
    const store = storeOn(new InfluxHttp({ url: influx.url }), { retentionHours: 2 });
    await store.store(blocksOf([[db, [metricLine('cpu', 1, Date.now())]]]));

    const r = await query(influx, `SHOW RETENTION POLICIES ON ${quoteIdentifier(db)}`);
    const series = r[0].series![0];
    const policies = series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])));
    const twoHours = policies.find((p) => p.name === '2h');
    assert.ok(twoHours, JSON.stringify(policies));
    assert.equal(twoHours.duration, '2h0m0s');
    assert.equal(twoHours.default, true);
    assert.deepEqual(policies.filter((p) => p.default === true).map((p) => p.name), ['2h']);
    // The point went to the default policy.
    assert.equal((await rows(influx, db, 'value', 'cpu')).length, 1);
  });

  test('a database without a default retention policy: with retentionHours it is created and the write goes on; without, a configuration fault', async (t) => {
    const db = database(t, influx);
    await query(influx, `CREATE DATABASE ${quoteIdentifier(db)}`);
    await query(influx, `DROP RETENTION POLICY "autogen" ON ${quoteIdentifier(db)}`);
    const without = await rejection(storeOn(new InfluxHttp({ url: influx.url })).store(blocksOf([[db, [metricLine('cpu', 1, Date.now())]]])));
    assert.equal(without.code, InfluxErrorCode.RETENTION_POLICY_NOT_FOUND);
    assert.equal(without.fault, Fault.CONFIGURATION);
    const store = storeOn(new InfluxHttp({ url: influx.url }), { retentionHours: 2 });
    assert.deepEqual(await store.store(blocksOf([[db, [metricLine('cpu', 1, Date.now())]]])), { stored: 1, refused: 0, refusals: [] });
    assert.equal((await rows(influx, db, 'value', 'cpu')).length, 1);
  });

  test('points older than the retention policy (partial write, dropped=2): the rest stored, refused 2', async (t) => {
    const db = database(t, influx);
    const http = new CountingHttp({ url: influx.url });
    await http.createDatabase(db, 1);
    const lines = [metricLine('cpu', 1, 1000), metricLine('cpu', 2, Date.now()), metricLine('cpu', 3, 2000)];

    const report = await storeOn(http, { retentionHours: 1 }).store(blocksOf([[db, lines]]));

    assert.deepEqual(report, { stored: 1, refused: 2, refusals: [] }, 'counted, not known one by one');
    assert.deepEqual(http.writes, [3], 'one request: the answer says how many were dropped');
    assert.deepEqual((await rows(influx, db, 'value', 'cpu')).map((r) => r[1]), [2]);
  });

  test('traceRefusals: the points a partial write dropped are found by writing halves again, each refusal with its line and InfluxDB\'s words', async (t) => {
    const db = database(t, influx);
    const http = new CountingHttp({ url: influx.url });
    await http.createDatabase(db, 1);
    const now = Date.now();
    const lines = [metricLine('cpu', 1, 1000), metricLine('cpu', 2, now), metricLine('cpu', 3, now + 1), metricLine('cpu', 4, 2000)];

    const report = await storeOn(http, { retentionHours: 1, traceRefusals: true }).store(blocksOf([[db, lines]]));

    assert.equal(report.stored, 2);
    assert.equal(report.refused, 2);
    assert.deepEqual(report.refusals.map((r) => [r.database, r.line]), [[db, lines[0]], [db, lines[3]]]);
    for (const r of report.refusals) assert.match(r.error, /beyond retention policy/);
    assert.deepEqual(http.writes, [4, 2, 1, 1, 2, 1, 1], 'halves, then quarters, of the requests that dropped points');
    assert.deepEqual((await rows(influx, db, 'value', 'cpu')).map((r) => r[1]), [2, 3]);
  });

  test('creating an existing database with its retention policy again is harmless', async (t) => {
    const db = database(t, influx);
    const http = new InfluxHttp({ url: influx.url });
    await http.createDatabase(db, 2);
    await http.createDatabase(db, 2);
    const r = await query(influx, `SHOW RETENTION POLICIES ON ${quoteIdentifier(db)}`);
    assert.equal(r[0].series![0].values.filter((v) => v[0] === '2h').length, 1);
  });

  test('one refused line (field type conflict) in the middle: the rest stored, refused 1', async (t) => {
    const db = database(t, influx);
    const http = new CountingHttp({ url: influx.url });
    const store = storeOn(http);
    assert.deepEqual(await store.store(blocksOf([[db, ['m value=1 1000']]])), { stored: 1, refused: 0, refusals: [] });

    const report = await store.store(blocksOf([[db, ['m value=2 1500', 'm value="x" 2000', 'm value=3 3000']]]));

    assert.deepEqual(report, { stored: 2, refused: 1, refusals: [] });
    assert.deepEqual(await rows(influx, db, 'value', 'm'), [
      [1000, 1],
      [1500, 2],
      [3000, 3],
    ]);
  });

  test('every line unparsable (400, nothing stored) -> split down to single lines, each refused', async (t) => {
    const db = database(t, influx);
    const http = new CountingHttp({ url: influx.url });
    await http.createDatabase(db, 0);
    const report = await storeOn(http).store(blocksOf([[db, ['m value= 1000', 'm 2000', 'm value=1 3000 junk']]]));
    assert.deepEqual(report.refusals.map((r) => r.line), ['m value= 1000', 'm 2000', 'm value=1 3000 junk'], 'each unparsable line, known');
    assert.deepEqual({ ...report, refusals: [] }, { stored: 0, refused: 3, refusals: [] });
    // 3 lines, then halves of 2 and 1, then the 2 alone.
    assert.deepEqual(http.writes, [3, 2, 1, 1, 1]);
  });

  test(
    'one unparsable line among good ones: the rest stored, refused 1 (a partial write: the line known with traceRefusals)',
    async (t) => {
      const db = database(t, influx);
      const http = new InfluxHttp({ url: influx.url });
      await http.createDatabase(db, 0);
      const lines = ['m value=1 1000', 'm value= 2000', 'm value=3 3000'];
      for (const traceRefusals of [false, true]) {
        const report = await storeOn(http, { traceRefusals }).store(blocksOf([[db, lines]]));
        assert.equal((await rows(influx, db, 'value', 'm')).length, 2);
        const known = traceRefusals ? ['m value= 2000'] : [];
        assert.deepEqual({ stored: report.stored, refused: report.refused, lines: report.refusals.map((r) => r.line) }, { stored: 2, refused: 1, lines: known });
      }
    },
  );

  test('gzip: write bodies sent compressed are stored as they are', async (t) => {
    const db = database(t, influx);
    const lines = Array.from({ length: 500 }, (_, i) => metricLine('cpu', i, 1000 + i));
    const report = await storeOn(new InfluxHttp({ url: influx.url, gzip: true })).store(blocksOf([[db, lines]]));
    assert.deepEqual(report, { stored: 500, refused: 0, refusals: [] });
    assert.equal((await rows(influx, db, 'value', 'cpu')).length, 500);
  });

  test('pointsPerRequest 10, 25 lines -> 3 requests (10, 10, 5), all 25 stored', async (t) => {
    const db = database(t, influx);
    const http = new CountingHttp({ url: influx.url });
    await http.createDatabase(db, 0);
    const lines = Array.from({ length: 25 }, (_, i) => metricLine('cpu', i, 1000 + i));

    const report = await storeOn(http, { pointsPerRequest: 10 }).store(blocksOf([[db, lines]]));

    assert.deepEqual(report, { stored: 25, refused: 0, refusals: [] });
    assert.deepEqual(http.writes, [10, 10, 5]);
    assert.deepEqual(await rows(influx, db, 'count(value)', 'cpu'), [[0, 25]]);
  });

  test('pointsPerRequest splits per database', async (t) => {
    const a = database(t, influx);
    const b = database(t, influx);
    const http = new CountingHttp({ url: influx.url });
    await http.createDatabase(a, 0);
    await http.createDatabase(b, 0);
    const lines = (n: number) => Array.from({ length: n }, (_, i) => metricLine('cpu', i, 1000 + i));
    const report = await storeOn(http, { pointsPerRequest: 4 }).store(blocksOf([[a, lines(5)], [b, lines(3)]]));
    assert.deepEqual(report, { stored: 8, refused: 0, refusals: [] });
    assert.deepEqual(http.writes, [4, 1, 3]);
  });

  test('a failing statement -> QUERY_FAILED with InfluxDB words', async () => {
    const http = new InfluxHttp({ url: influx.url });
    const err = await rejection(http.query(`SHOW RETENTION POLICIES ON ${quoteIdentifier(uniqueName('absent'))}`));
    assert.equal(err.code, InfluxErrorCode.QUERY_FAILED);
    assert.match(err.message, /database not found/);
  });
});

describe(`InfluxHttp credentials (InfluxDB ${s.influxAuth.version}) and reachability`, () => {
  test('InfluxDB with auth: the right user and password create the database and write', async (t) => {
    const auth = s.influxAuth;
    const db = database(t, auth, 'auth');
    const store = storeOn(new InfluxHttp({ url: auth.url, user: auth.user, password: auth.password }));
    assert.deepEqual(await store.store(blocksOf([[db, [metricLine('cpu', 7, 1000)]]])), { stored: 1, refused: 0, refusals: [] });
    assert.deepEqual(await rows(auth, db, 'value', 'cpu'), [[1000, 7]]);
  });

  test('InfluxDB with auth: a wrong password -> AUTH_FAILED, a configuration fault naming what to fix, at once', async (t) => {
    const auth = s.influxAuth;
    const db = database(t, auth, 'auth');
    const http = new CountingHttp({ url: auth.url, user: auth.user, password: `${auth.password}-wrong` });
    const started = performance.now();

    const err = await rejection(storeOn(http).store(blocksOf([[db, [metricLine('cpu', 7, 1000)]]])));

    assert.equal(err.code, InfluxErrorCode.AUTH_FAILED);
    assert.equal(err.status, 401);
    assert.equal(err.fault, Fault.CONFIGURATION);
    assert.match(err.message, /check \[influxdb\] user and password/);
    assert.deepEqual(http.writes, [1], 'one request, no retry');
    assert.ok(performance.now() - started < 2000);
    assert.ok(!(await databases(auth)).includes(db));
  });

  test('InfluxDB with auth: no credentials -> AUTH_FAILED', async (t) => {
    const auth = s.influxAuth;
    const db = database(t, auth, 'auth');
    const err = await rejection(storeOn(new InfluxHttp({ url: auth.url })).store(blocksOf([[db, ['m value=1 1000']]])));
    assert.equal(err.code, InfluxErrorCode.AUTH_FAILED);
  });

  test('a port nothing listens on -> UNREACHABLE, after one attempt (the writer actor retries)', async () => {
    const connection: InfluxConnection = { url: 'http://127.0.0.1:1', timeoutMs: 2000 };
    const http = new CountingHttp(connection);
    const err = await rejection(storeOn(http).store(blocksOf([['never', ['m value=1 1000']]])));
    assert.equal(err.code, InfluxErrorCode.UNREACHABLE);
    assert.equal(err.fault, Fault.UNREACHABLE);
    assert.match(err.message, /ECONNREFUSED/);
    assert.deepEqual(http.writes, [1]);
  });
});
