/** InfluxHttp reading InfluxDB's answers as InfluxDB 1.x writes them (a scripted HTTP server). */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { InfluxHttp } from '../../src/influx/client.js';
import { InfluxError, InfluxErrorCode } from '../../src/influx/errors.js';
import { joinLines } from '../../src/convert/lines.js';

test('a 400 whose X-Influxdb-Error header holds a control character is a bad request, not InfluxDB unavailable', async () => {
  const body = '{"error":"unable to parse \'\\u0000x v=1 1\': missing fields"}';
  const server = createServer((socket) => {
    socket.on('data', () =>
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nX-Influxdb-Error: unable to parse '\u0000x v=1 1': missing fields\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const http = new InfluxHttp({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
    await assert.rejects(http.write('db', joinLines(['\u0000x v=1 1'])), (err: unknown) => err instanceof InfluxError && err.code === InfluxErrorCode.BAD_REQUEST);
  } finally {
    server.close();
  }
});
