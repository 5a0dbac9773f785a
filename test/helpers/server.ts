// Starts real anywire servers on ephemeral loopback ports and real clients against them, and
// closes everything after each test.
import { afterEach } from 'vitest';
import { createServer, type AnywireServer, type ServerOptions } from '../../src/node/server/index.js';
import { createClient } from '../../src/node/index.js';
import type { Client } from '../../src/core/client.js';
import type { ClientOptions } from '../../src/core/options.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Registers a cleanup to run after the current test (last registered runs first). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** The `secret` the test servers share when their broker spans servers (Redis requires one). */
export const TEST_SECRET = 'anywire-test-secret-of-at-least-32-bytes';

export async function startServer(options: ServerOptions = {}): Promise<{ server: AnywireServer; url: string; port: number }> {
  const server = createServer(options.broker?.spansServers && options.secret === undefined ? { ...options, secret: TEST_SECRET } : options);
  const { url, port } = await server.listen(0, '127.0.0.1');
  onCleanup(() => server.close());
  return { server, url, port };
}

export function client(url: string, options: Partial<ClientOptions> = {}): Client {
  const c = createClient({ url, ...options });
  onCleanup(() => c.close());
  return c;
}

/** Resolves with the first emission of `event` (no sleeps: tests wait for the event). */
export function once<T>(emitter: { once(event: string, fn: (arg: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}

/** Resolves when `predicate` holds for a client's state event (or already holds). */
export function waitForState(c: Client, state: Client['state']): Promise<void> {
  if (c.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const fn = (e: { state: string }) => {
      if (e.state !== state) return;
      c.off('state', fn);
      resolve();
    };
    c.on('state', fn);
  });
}
