/**
 * An InfluxDB 1.x of a test's own that serves HTTPS with a certificate of a private CA made with
 * `openssl`. Clients trust it only when given the CA (`ca` of node:https, or NODE_EXTRA_CA_CERTS
 * for a child process); without it the same server is the untrusted variant.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
const ADMIN = { user: 'admin', password: 'admin-secret' } as const;

export interface Certificates {
  /** The private CA's certificate (PEM): what a client must trust. */
  caFile: string;
  /** The server's certificate (PEM), signed by the CA, for localhost and 127.0.0.1. */
  certFile: string;
  keyFile: string;
}

/** Makes a private CA and a server certificate it signs (P-256 keys, valid 2 days) in `dir`. */
export async function makeCertificates(dir: string): Promise<Certificates> {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const caKey = f('ca.key');
  const caFile = f('ca.pem');
  const keyFile = f('server.key');
  const certFile = f('server.pem');
  const csr = f('server.csr');
  // Own config files, so the system's openssl.cnf adds nothing.
  writeFileSync(
    f('ca.cnf'),
    `[req]
distinguished_name = dn
x509_extensions = ca
prompt = no
[dn]
CN = persister-test-ca
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`,
  );
  writeFileSync(
    f('server.cnf'),
    `[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
`,
  );
  const genkey = (out: string) =>
    run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
  await Promise.all([genkey(caKey), genkey(keyFile)]);
  await Promise.all([
    run('openssl', ['req', '-x509', '-new', '-config', f('ca.cnf'), '-key', caKey, '-days', '2', '-sha256', '-out', caFile]),
    run('openssl', ['req', '-new', '-config', f('server.cnf'), '-key', keyFile, '-sha256', '-out', csr]),
  ]);
  await run('openssl', [
    'x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey,
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-sha256',
    '-extfile', f('server.cnf'), '-extensions', 'server', '-out', certFile,
  ]);
  return { caFile, certFile, keyFile };
}

export interface InfluxTls extends Certificates {
  /** `https://127.0.0.1:<port>` (`http://` with `https: false`). */
  url: string;
  port: number;
  /** The temp dir with the certificates, data, `influxdb.conf` and `influxd.log`. */
  dir: string;
  /** With auth: the admin user, who has all privileges. */
  admin?: { user: string; password: string };
  /** SIGTERM (SIGKILL after 20 s), waits for the exit and removes `dir`. */
  stop(): Promise<void>;
}

export interface InfluxTlsOptions {
  /** auth-enabled, with the admin user `admin` / `admin-secret` created. */
  auth?: boolean;
  /** false: the same server over plain HTTP (the certificates are made all the same). Default true. */
  https?: boolean;
}

/** Starts an influxd on free ports of 127.0.0.1 and resolves once `/ping` answers 204 (30 s at most). */
export async function startInfluxTls(options: InfluxTlsOptions = {}): Promise<InfluxTls> {
  const auth = options.auth ?? false;
  const tls = options.https ?? true;
  const dir = mkdtempSync(join(tmpdir(), 'persister-influx-tls-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  try {
    const certs = await makeCertificates(join(dir, 'tls'));
    const [port, rpcPort] = await freePorts(2);
    const config = join(dir, 'influxdb.conf');
    writeFileSync(config, influxConfig(dir, port, rpcPort, auth, tls ? certs : undefined));
    const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

    // INFLUXDB_* variables would override the generated config.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXDB_')));
    const log = openSync(join(dir, 'influxd.log'), 'a');
    try {
      child = spawn('influxd', ['run', '-config', config], { stdio: ['ignore', log, log], env });
    } finally {
      closeSync(log);
    }
    const spawned = child;
    exited = new Promise<void>((resolve) => spawned.once('exit', () => resolve()));
    // A missing influxd: 'error' and exitCode set, no 'exit'.
    spawned.once('error', (err) => writeFileSync(join(dir, 'influxd.log'), `${err.message}\n`, { flag: 'a' }));

    const client: Client = { url, ca: readFileSync(certs.caFile) };
    await waitForPing(client, child, dir);
    if (auth) await createAdmin(client);

    let stopped: Promise<void> | undefined;
    return {
      ...certs,
      url,
      port,
      dir,
      admin: auth ? { ...ADMIN } : undefined,
      stop: () => (stopped ??= stopInflux(spawned, exited).then(() => rmSync(dir, { recursive: true, force: true }))),
    };
  } catch (err) {
    if (child) await stopInflux(child, exited);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The config the way test/helpers/stack.sh writes it, plus TLS. */
function influxConfig(dir: string, port: number, rpcPort: number, auth: boolean, certs?: Certificates): string {
  for (const sub of ['meta', 'data', 'wal']) mkdirSync(join(dir, sub));
  const tls = certs
    ? `  https-enabled = true
  https-certificate = "${certs.certFile}"
  https-private-key = "${certs.keyFile}"
`
    : '';
  return `# generated by test/helpers/influx-tls.ts
reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  auth-enabled = ${auth}
  log-enabled = false
${tls}
[subscriber]
  enabled = false

[continuous_queries]
  log-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`;
}

/** Ports free on 127.0.0.1 right now, all different (held open together, then closed). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, async () => {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      return server;
    }),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

interface Client {
  url: string;
  ca: Buffer;
}

/** One request that trusts the CA; resolves with the status and body. */
function request(
  c: Client,
  path: string,
  body?: string,
  timeoutMs = 2_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const options = { method: body === undefined ? 'GET' : 'POST', headers, timeout: timeoutMs, ca: c.ca };
    const callback = (res: http.IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    };
    const url = `${c.url}${path}`;
    const req = url.startsWith('https:') ? https.request(url, options, callback) : http.request(url, options, callback);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function waitForPing(c: Client, child: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`influxd exited during startup (${child.exitCode ?? child.signalCode}):\n${logTail(dir)}`);
    }
    try {
      const r = await request(c, '/ping');
      if (r.status === 204) return;
      last = `status ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`influxd did not answer ${c.url}/ping within ${START_TIMEOUT_MS} ms (last: ${last}):\n${logTail(dir)}`);
}

/** Allowed without credentials while no user exists. */
async function createAdmin(c: Client): Promise<void> {
  const q = `CREATE USER ${ADMIN.user} WITH PASSWORD '${ADMIN.password}' WITH ALL PRIVILEGES`;
  const r = await request(c, '/query', new URLSearchParams({ q }).toString(), 10_000);
  if (r.status !== 200 || r.body.includes('"error"')) {
    throw new Error(`could not create the admin user: ${r.status} ${r.body}`);
  }
}

/** SIGTERM, SIGKILL after STOP_TIMEOUT_MS; resolves once it has exited. */
async function stopInflux(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function logTail(dir: string, lines = 20): string {
  try {
    return readFileSync(join(dir, 'influxd.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no influxd.log)';
  }
}
