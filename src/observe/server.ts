/**
 * The monitoring endpoint (`[monitoring]`): one small HTTP server in the daemon.
 *
 *   GET /metrics   Prometheus text format (src/observe/monitor.ts)
 *   GET /healthz   200 while the event loop answers
 *   GET /readyz    200 when every consumer joined its group and every writer is up, 503 otherwise;
 *                  the JSON body says why not
 *   GET /inspector the live view of the actors (src/observe/inspector.ts), when
 *                  `[monitoring] inspector = true`; its stream is /inspector/events
 *
 * It never stops the daemon: a port already in use (or any other listening error) is logged and
 * the daemon goes on persisting without it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MonitoringConfig } from '../config/index.js';
import type { Logger } from './log.js';
import { INSPECTOR_PAGE } from './inspector-page.js';
import type { InspectorHub } from './inspector.js';
import type { Health, Monitor } from './monitor.js';

export interface MonitoringEndpoint {
  /** `http://address:port`, the port as bound (port 0 picks one). */
  readonly url: string;
  close(): Promise<void>;
}

const ENDPOINTS = ['/metrics', '/healthz', '/readyz'];

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

function sendHealth(res: http.ServerResponse, health: Health): void {
  send(res, health.ok ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(health.body)}\n`);
}

async function handle(monitor: Monitor, inspector: InspectorHub | undefined, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'application/json; charset=utf-8', `${JSON.stringify({ error: `method ${req.method} not allowed` })}\n`);
    return;
  }
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  switch (path) {
    case '/metrics': {
      const { contentType, text } = await monitor.metrics();
      send(res, 200, contentType, text);
      return;
    }
    case '/healthz':
      sendHealth(res, monitor.liveness());
      return;
    case '/readyz':
      sendHealth(res, monitor.readiness());
      return;
    case '/inspector':
    case '/inspector/events':
      if (inspector === undefined) {
        send(res, 404, 'application/json; charset=utf-8', `${JSON.stringify({ error: 'the inspector is off: set [monitoring] inspector = true' })}\n`);
      } else if (path === '/inspector') send(res, 200, 'text/html; charset=utf-8', INSPECTOR_PAGE);
      else inspector.attach(res);
      return;
    default:
      send(res, 404, 'application/json; charset=utf-8', `${JSON.stringify({ error: `no such endpoint: ${path}`, endpoints: ENDPOINTS })}\n`);
  }
}

/** Starts listening; resolves with the endpoint, or undefined (logged) when it cannot listen. */
export function startMonitoring(config: MonitoringConfig, monitor: Monitor, log: Logger, inspector?: InspectorHub): Promise<MonitoringEndpoint | undefined> {
  const server = http.createServer((req, res) => {
    handle(monitor, inspector, req, res).catch((err: unknown) => {
      log.warn({ err, url: req.url }, 'monitoring request failed');
      if (!res.headersSent) send(res, 500, 'application/json; charset=utf-8', `${JSON.stringify({ error: String(err) })}\n`);
      else res.destroy();
    });
  });
  return new Promise((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the port is already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      log.error(
        { bindAddress: config.bindAddress, port: config.port, code: err.code },
        `monitoring endpoint not started: cannot listen on ${config.bindAddress}:${config.port} (${why}); persisting goes on without it. Change [monitoring] port or bind_address, or set enabled = false`,
      );
      resolve(undefined);
    });
    server.listen(config.port, config.bindAddress, () => {
      const { address, port } = server.address() as AddressInfo;
      const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
      const endpoints = inspector ? [...ENDPOINTS, '/inspector'] : ENDPOINTS;
      log.info({ url, endpoints }, 'monitoring endpoint listening');
      resolve({
        url,
        close: () =>
          new Promise<void>((done) => {
            inspector?.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
