// A tiny loopback TCP proxy for tests: new connections go to the current target (or round-robin
// over several), the target can be switched at any time, and every open connection can be cut at
// once — a load balancer, a failover or a network drop, without touching the servers behind it.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  /** The loopback port clients connect to. */
  readonly port: number;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /** Where new connections go: one port, or several taken in turn (round robin, no stickiness). */
  setTargets(...ports: number[]): void;
  /** Destroys every open connection (both sides); new ones are still accepted. */
  cutAll(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(...targets: number[]): Promise<TcpProxy> {
  let ports = targets;
  let next = 0;
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    if (ports.length === 0) return client.destroy();
    const port = ports[next++ % ports.length]!;
    const upstream = connect(port, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const cutAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    get connections() {
      return pairs.size;
    },
    setTargets(...p: number[]) {
      ports = p;
      next = 0;
    },
    cutAll,
    close() {
      cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
