// Health and metrics for operators: `GET <path>/health` (a load balancer's check), `server.stats()`
// and `server.metrics()` (Prometheus text), against real servers, real clients on every transport,
// a real redis-server of the test's own that it stops, and the real CLI.
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import { createServer, redisBroker } from '../../src/node/server/index.js';
import { client, onCleanup, startServer } from '../helpers/server.js';
import { collector } from '../helpers/collector.js';
import { startOwnRedis, testPrefix, type OwnRedis } from '../helpers/redis.js';

async function health(base: string): Promise<{ status: number; body: { status: string; reason?: string } }> {
  const res = await fetch(`${base}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

// ---- a Prometheus text-exposition parser (format 0.0.4), strict enough to catch a broken output ----

interface Family {
  type: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  let current: string | undefined;
  const closed = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!metricName.test(name)) throw new Error(`bad metric name ${name}`);
      if (current !== name && current !== undefined) closed.add(current);
      if (closed.has(name)) throw new Error(`family ${name} is not contiguous`);
      current = name;
      const f = families.get(name) ?? { type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type ${rest}`);
        if (f.samples.length) throw new Error(`TYPE after samples for ${name}`);
        f.type = rest;
      } else f.help = rest;
      families.set(name, f);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, name, , body, raw] = m as unknown as [string, string, string | undefined, string | undefined, string];
    if (name !== current) throw new Error(`sample ${name} outside its family (${current})`);
    const labels: Record<string, string> = {};
    if (body) {
      const re = /([^=,]+)="((?:[^"\\]|\\.)*)"(,|$)/y;
      let pos = 0;
      while (pos < body.length) {
        re.lastIndex = pos;
        const l = re.exec(body);
        if (!l || !labelName.test(l[1]!)) throw new Error(`bad labels: ${body}`);
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        pos = re.lastIndex;
      }
    }
    const value = Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`bad value ${raw}`);
    families.get(name)!.samples.push({ labels, value });
  }
  return families;
}

function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  return f?.samples.find(
    (s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length,
  )?.value;
}

describe('health', () => {
  it('answers 200 {"status":"ok"} while all is well', async () => {
    const { url } = await startServer();
    expect(await health(url)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  let redis: OwnRedis | undefined;
  afterAll(async () => {
    await redis?.dispose();
  });

  it('answers 503 while the broker (a redis-server the test stops) is unreachable, and 200 again once it is back', async () => {
    redis = await startOwnRedis();
    const { url } = await startServer({ broker: redisBroker({ url: redis.url, keyPrefix: testPrefix() }) });
    await vi.waitFor(async () => expect((await health(url)).status).toBe(200), { timeout: 10_000 });
    await redis.stop();
    await vi.waitFor(
      async () => expect(await health(url)).toEqual({ status: 503, body: { status: 'unavailable', reason: 'broker is unreachable' } }),
      { timeout: 10_000, interval: 50 },
    );
    await redis.start();
    await vi.waitFor(async () => expect((await health(url)).status).toBe(200), { timeout: 20_000, interval: 100 });
  });

  it('answers 503 during close()', async () => {
    const http = createHttpServer();
    onCleanup(() => new Promise<void>((r) => http.close(() => r())));
    const server = createServer();
    server.attach(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const { port } = http.address() as import('node:net').AddressInfo;
    const base = `http://127.0.0.1:${port}/anywire`;
    // A WebSocket that never answers the close handshake keeps close() going for its grace period.
    const sock = tcpConnect(port, '127.0.0.1');
    onCleanup(() => sock.destroy());
    sock.on('error', () => {});
    const upgraded = new Promise<void>((r) => sock.once('data', () => r()));
    sock.write(
      'GET /anywire HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await upgraded;
    sock.pause();
    const closing = server.close();
    expect(await health(base)).toEqual({ status: 503, body: { status: 'unavailable', reason: 'server is shutting down' } });
    await closing;
  });

  it('refuses other methods with 405', async () => {
    const { url } = await startServer();
    const res = await fetch(`${url}/health`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { code: string }).code).toBe('BAD_REQUEST');
  });
});

describe('stats and metrics', () => {
  it('follow a scripted run: connections per transport, messages in and out, refusals by code', async () => {
    const { server, url } = await startServer({
      metrics: true,
      authenticate: ({ token }) => {
        if (token === 'bad') throw new Error('bad token');
        return { id: 'u' };
      },
      authorize: ({ channel }) => channel !== 'secret',
    });
    const zero = server.stats();
    expect(zero).toEqual({
      connections: { websocket: 0, sse: 0, 'long-polling': 0, polling: 0 },
      channels: 0,
      subscriptions: 0,
      messagesIn: 0,
      messagesOut: 0,
      refused: {},
      broker: 'up',
    });

    const plan: TransportName[] = ['websocket', 'websocket', 'sse', 'long-polling', 'polling'];
    const clients = plan.map((t) => client(url, { transports: [t], pollInterval: 50, token: 'good' }));
    await Promise.all(clients.map((c) => c.connect()));
    const cols = clients.map(() => collector<number>());
    await Promise.all(clients.map((c, i) => c.subscribe('room', cols[i]!.handler).ready));
    expect(server.stats().connections).toEqual({ websocket: 2, sse: 1, 'long-polling': 1, polling: 1 });
    expect(server.stats().channels).toBe(1);

    for (let i = 0; i < 3; i++) await clients[0]!.publish('room', i);
    await clients[4]!.publish('room', 3); // by polling
    await server.publish('room', 4);
    await Promise.all(cols.map((c) => c.waitFor(5)));
    for (const c of cols) expect(c.data()).toEqual([0, 1, 2, 3, 4]);

    // Refusals: two FORBIDDEN publishes, one FORBIDDEN subscription, one UNAUTHORIZED connect.
    await expect(clients[0]!.publish('secret', 1)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(clients[3]!.publish('secret', 1)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(clients[1]!.subscribe('secret').ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const refused = client(url, { transports: ['websocket'], token: 'bad', reconnect: false });
    await expect(refused.connect()).rejects.toBeDefined();

    const s = server.stats();
    expect(s.messagesIn).toBe(5);
    expect(s.messagesOut).toBe(25);
    expect(s.refused).toEqual({ FORBIDDEN: 3, UNAUTHORIZED: 1 });
    expect(s.broker).toBe('up');
    // Long polls are hub members only while held: at least the three live subscribers.
    expect(s.subscriptions).toBeGreaterThanOrEqual(3);

    // The same figures in the exposition, parsed as Prometheus text.
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const families = parseExposition(text);
    expect(parseExposition(server.metrics()).size).toBe(families.size);
    for (const [name, f] of families) {
      expect(name).toMatch(/^anywire_/);
      expect(f.help).not.toBe('');
      if (name.endsWith('_total')) expect(f.type).toBe('counter');
    }
    expect(families.get('anywire_connections')!.type).toBe('gauge');
    expect(sample(families, 'anywire_connections', { transport: 'websocket' })).toBe(2);
    expect(sample(families, 'anywire_connections', { transport: 'sse' })).toBe(1);
    expect(sample(families, 'anywire_connections', { transport: 'long-polling' })).toBe(1);
    expect(sample(families, 'anywire_connections', { transport: 'polling' })).toBe(1);
    expect(sample(families, 'anywire_connections_total', { transport: 'websocket' })).toBe(2);
    expect(sample(families, 'anywire_messages_in_total', { transport: 'websocket' })).toBe(3);
    expect(sample(families, 'anywire_messages_in_total', { transport: 'polling' })).toBe(1);
    expect(sample(families, 'anywire_messages_in_total', { transport: 'server' })).toBe(1);
    expect(sample(families, 'anywire_messages_out_total')).toBe(25);
    expect(sample(families, 'anywire_refused_total', { code: 'FORBIDDEN' })).toBe(3);
    expect(sample(families, 'anywire_refused_total', { code: 'UNAUTHORIZED' })).toBe(1);
    expect(sample(families, 'anywire_channels')).toBe(1);
    expect(sample(families, 'anywire_broker_up')).toBe(1);

    // Connections leave the gauge when they go.
    for (const c of clients.slice(0, 3)) c.close();
    await vi.waitFor(() => expect(server.stats().connections.websocket + server.stats().connections.sse).toBe(0));
  });

  it('serves no /metrics unless asked to', async () => {
    const { url } = await startServer();
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
  });

  it('`anywire serve --metrics` serves the exposition at <path>/metrics', async () => {
    const cli = resolve(import.meta.dirname, '../../dist/cli.js');
    const proc = spawn(process.execPath, [cli, 'serve', '--port', '0', '--metrics'], { stdio: ['ignore', 'pipe', 'pipe'] });
    onCleanup(() => proc.kill('SIGKILL'));
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /anywire listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`cli exited ${code}`)));
    });
    const res = await fetch(`${base}/anywire/metrics`);
    expect(res.status).toBe(200);
    const families = parseExposition(await res.text());
    expect(sample(families, 'anywire_broker_up')).toBe(1);
    expect((await health(`${base}/anywire`)).status).toBe(200);
  });
});
