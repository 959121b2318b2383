/**
 * A fault-injecting TCP proxy on 127.0.0.1 between the daemon and a service: it passes traffic
 * through, or refuses connections, swallows them (blackhole), answers HTTP 500, or delays.
 * Switching to a fault cuts the connections already open.
 */
import net from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole' | 'http500' | { delayMs: number };

export class FaultProxy {
  mode: ProxyMode = 'pass';
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FaultProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  setMode(mode: ProxyMode): void {
    this.mode = mode;
    if (mode !== 'pass' && typeof mode === 'string') for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private accept(client: net.Socket, target: { host: string; port: number }): void {
    this.track(client);
    const mode = this.mode;
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'blackhole') return; // accepted, never answered
    if (mode === 'http500') {
      client.once('data', () => {
        const body = '{"error":"timeout"}';
        client.end(
          `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
      });
      return;
    }
    const upstream = net.connect(target.port, target.host);
    this.track(upstream);
    const delayMs = typeof mode === 'object' ? mode.delayMs : 0;
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => (delayMs ? setTimeout(() => to.write(chunk), delayMs) : to.write(chunk)));
    forward(client, upstream);
    forward(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
