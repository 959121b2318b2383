/**
 * classifyHttpError and droppedByPartialWrite on the answers InfluxDB 1.x really gives (texts as
 * InfluxDB 1.6.7 of the local stack words them, and 1.8.10 words them the same; `"error"` of the
 * JSON body).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyHttpError, droppedByPartialWrite, InfluxError, InfluxErrorCode } from '../../src/influx/errors.js';
import { Fault, faultOf } from '../../src/ports/faults.js';

const PARSE_ERROR = "unable to parse 'x': missing fields";
// A batch of which InfluxDB could not parse every line: it stores the rest and, as 1.x's
// PartialWriteError does for parse errors, appends `dropped=0`.
const PARTIAL_PARSE_1 = "partial write: unable to parse 'm value= 2000': missing field value dropped=0";
const PARTIAL_PARSE_2 =
  "partial write: unable to parse 'm value= 2000': missing field value\nunable to parse 'm value=1 4000 5': point is invalid dropped=0";
const PARTIAL_RETENTION = 'partial write: points beyond retention policy dropped=3';
const PARTIAL_CONFLICT =
  'partial write: field type conflict: input field "value" on measurement "m" is type string, already exists as type float dropped=1';

describe('classifyHttpError', () => {
  const TABLE: { name: string; status: number; text: string; code: InfluxErrorCode; fault: Fault }[] = [
    { name: '404 database not found', status: 404, text: 'database not found: "mon"', code: 'DATABASE_NOT_FOUND', fault: 'transient' },
    { name: '400 unable to parse (nothing stored)', status: 400, text: PARSE_ERROR, code: 'BAD_REQUEST', fault: 'transient' },
    { name: '400 partial write: unable to parse', status: 400, text: PARTIAL_PARSE_1, code: 'PARTIAL_WRITE', fault: 'transient' },
    { name: '400 partial write: beyond retention policy', status: 400, text: PARTIAL_RETENTION, code: 'PARTIAL_WRITE', fault: 'transient' },
    { name: '400 partial write: field type conflict', status: 400, text: PARTIAL_CONFLICT, code: 'PARTIAL_WRITE', fault: 'transient' },
    { name: '401 authorization failed', status: 401, text: 'authorization failed', code: 'AUTH_FAILED', fault: 'configuration' },
    { name: '403 forbidden', status: 403, text: '"admin" user is required to create databases', code: 'AUTH_FAILED', fault: 'configuration' },
    { name: '413 request entity too large', status: 413, text: 'Request Entity Too Large', code: 'REQUEST_TOO_LARGE', fault: 'transient' },
    { name: '413 with an empty body', status: 413, text: '', code: 'REQUEST_TOO_LARGE', fault: 'transient' },
    { name: '500 retention policy not found', status: 500, text: 'retention policy not found: x', code: 'RETENTION_POLICY_NOT_FOUND', fault: 'configuration' },
    { name: '500 timeout', status: 500, text: 'timeout', code: 'UNAVAILABLE', fault: 'transient' },
    { name: '503 request throttled', status: 503, text: 'request throttled', code: 'UNAVAILABLE', fault: 'transient' },
    { name: '502 from a proxy, HTML body', status: 502, text: '<html>Bad Gateway</html>', code: 'UNAVAILABLE', fault: 'transient' },
    { name: '404 without "database not found" (a proxy, a wrong path): retried, never dropped', status: 404, text: '404 page not found', code: 'UNAVAILABLE', fault: 'transient' },
  ];
  for (const c of TABLE) {
    test(`${c.name} -> ${c.code}, ${c.fault}`, () => {
      const err = classifyHttpError(c.status, c.text);
      assert.ok(err instanceof InfluxError);
      assert.equal(err.code, c.code);
      assert.equal(err.fault, c.fault);
      assert.equal(faultOf(err), c.fault);
      assert.equal(err.status, c.status);
      assert.ok(err.message.includes(String(c.status)), err.message);
      assert.ok(err.message.includes(c.text.trim()), err.message);
    });
  }

  test('surrounding white space of the text is ignored', () => {
    assert.equal(classifyHttpError(400, `  ${PARTIAL_CONFLICT}\n`).code, InfluxErrorCode.PARTIAL_WRITE);
  });

  test('configuration faults say what to fix', () => {
    assert.match(classifyHttpError(401, 'authorization failed').message, /: check \[influxdb\] user and password/);
    assert.match(
      classifyHttpError(403, "error authorizing query: bob not authorized to execute statement 'CREATE DATABASE other', requires admin privilege").message,
      /requires admin privilege: check \[influxdb\] user/,
    );
    assert.match(classifyHttpError(500, 'retention policy not found: autogen').message, /default retention policy/);
    const tls = classifyHttpError(400, 'Client sent an HTTP request to an HTTPS server.');
    assert.equal(tls.code, InfluxErrorCode.TLS_REJECTED);
    assert.equal(tls.fault, Fault.CONFIGURATION);
    assert.match(tls.message, /set \[influxdb\] ssl = true/);
  });

  test('only authorization, retention policy and TLS problems are configuration faults; no connection at all is unreachable', () => {
    const configuration: string[] = [InfluxErrorCode.AUTH_FAILED, InfluxErrorCode.RETENTION_POLICY_NOT_FOUND, InfluxErrorCode.TLS_REJECTED];
    for (const code of Object.values(InfluxErrorCode)) {
      const expected = configuration.includes(code) ? Fault.CONFIGURATION : code === InfluxErrorCode.UNREACHABLE ? Fault.UNREACHABLE : Fault.TRANSIENT;
      assert.equal(new InfluxError(code, 'x').fault, expected, code);
    }
  });
});

describe('droppedByPartialWrite', () => {
  const TABLE: { name: string; text: string; dropped: number; todo?: string }[] = [
    { name: 'beyond retention policy dropped=3', text: PARTIAL_RETENTION, dropped: 3 },
    { name: 'field type conflict dropped=1', text: PARTIAL_CONFLICT, dropped: 1 },
    { name: 'no dropped=N: one per "unable to parse"', text: "partial write: unable to parse 'x': missing fields", dropped: 1 },
    {
      name: 'no dropped=N, two "unable to parse"',
      text: "partial write: unable to parse 'a': x\nunable to parse 'b': y",
      dropped: 2,
    },
    { name: 'no number and no parse error: at least 1', text: 'partial write', dropped: 1 },
    {
      name: 'real 1.x text of one unparsable line: "... dropped=0"',
      text: PARTIAL_PARSE_1,
      dropped: 1,
    },
    {
      name: 'real 1.x text of two unparsable lines: "... dropped=0"',
      text: PARTIAL_PARSE_2,
      dropped: 2,
    },
  ];
  for (const c of TABLE) {
    test(`${c.name} -> ${c.dropped}`, { todo: c.todo }, () => assert.equal(droppedByPartialWrite(c.text), c.dropped));
  }
});
