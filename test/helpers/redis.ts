// Real Redis for the integration tests: the machine's shared one (127.0.0.1:6379) with a unique key
// prefix per test, or a `redis-server` the test starts itself on a free port. Never mocked, never
// skipped: when no Redis can be had, the tests fail and say why.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { killNode, primaries, startCluster, stopCluster, type ClusterState } from './redis-cluster.mjs';

const SHARED = 'redis://127.0.0.1:6379';

async function ping(url: string): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** A free loopback port (the OS picks it; the small race before reuse is acceptable for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as import('node:net').AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function redisServerBinary(): string {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server']) if (existsSync(p)) return p;
  return 'redis-server'; // let spawn search PATH; a missing binary fails loudly there
}

/** A redis-server of the test's own, on a free loopback port; stop() and start() it at will. */
export interface OwnRedis {
  url: string;
  port: number;
  /** Starts (again) on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills the process (SIGKILL: without `persist`, its data is gone, as after a crash). */
  stop(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  dispose(): Promise<void>;
}

/** `persist`: an append-only file synced on every write, so a killed server comes back with its data. */
export async function startOwnRedis(options: { persist?: boolean } = {}): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'anywire-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  args.push('--appendonly', options.persist ? 'yes' : 'no', '--appendfsync', 'always');
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  const own: OwnRedis = {
    url,
    port,
    async start() {
      if (proc) return;
      const child = spawn(redisServerBinary(), args, {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      proc = child;
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => {
          output += d.toString();
          if (!output.includes('Ready to accept connections')) return;
          child.stdout!.off('data', onData);
          child.stdout!.resume(); // keep draining the log, or a full pipe would stall redis
          child.off('exit', onExit);
          resolve();
        };
        const onExit = (code: number | null) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`));
        child.once('error', (err) => reject(new Error(`cannot start redis-server: ${err.message}`)));
        child.once('exit', onExit);
        child.stdout!.on('data', onData);
        child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      });
    },
    async stop() {
      const child = proc;
      if (!child) return;
      proc = undefined;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    async dispose() {
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await own.start();
  return own;
}

let sharedUrl: Promise<string> | undefined;
let spawned: OwnRedis | undefined;

/**
 * The Redis the tests use: the machine's at 127.0.0.1:6379 when it answers, else a redis-server
 * started for this test file. Throws (the tests fail) when neither is possible.
 */
export function redisUrl(): Promise<string> {
  sharedUrl ??= (async () => {
    if (await ping(SHARED)) return SHARED;
    try {
      spawned = await startOwnRedis();
    } catch (err) {
      throw new Error(`no Redis at ${SHARED} and starting redis-server failed: ${(err as Error).message}`);
    }
    return spawned.url;
  })();
  return sharedUrl;
}

/** Stops a redis-server that redisUrl() started (call from afterAll). */
export async function stopSpawnedRedis(): Promise<void> {
  await spawned?.dispose();
}

/** A key prefix unique to one test run, so parallel runs never see each other's keys. */
export function testPrefix(): string {
  return `anywire-test:${randomUUID()}:`;
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

let sharedCluster: Promise<string[]> | undefined;
let spawnedCluster: ClusterState | undefined;

/**
 * The Redis Cluster the tests use: the one in ANYWIRE_REDIS_CLUSTER (comma-separated URLs, set by
 * .ci/run), else a 3+3 cluster started for this test file. Throws (the tests fail) when neither is
 * possible: the cluster suites never skip.
 */
export function redisClusterUrls(): Promise<string[]> {
  sharedCluster ??= (async () => {
    const env = process.env.ANYWIRE_REDIS_CLUSTER?.trim();
    if (env) return env.split(',').map((u) => u.trim());
    try {
      spawnedCluster = await startCluster();
    } catch (err) {
      throw new Error(`no ANYWIRE_REDIS_CLUSTER and starting a local Redis Cluster failed: ${(err as Error).message}`);
    }
    return spawnedCluster.urls;
  })();
  return sharedCluster;
}

/** A cluster of the test's own (to kill nodes of), stopped by the returned state's owner. */
export const startOwnCluster = startCluster;
export { killNode, primaries, stopCluster, type ClusterState };

/** Stops a cluster that redisClusterUrls() started (call from afterAll). */
export function stopSpawnedCluster(): void {
  if (spawnedCluster) stopCluster(spawnedCluster);
  spawnedCluster = undefined;
}

/** Deletes every key under `prefix` on every primary of a cluster. */
export async function deleteClusterPrefix(urls: string[], prefix: string): Promise<void> {
  const c = new Cluster(
    urls.map((u) => {
      const x = new URL(u);
      return { host: x.hostname, port: Number(x.port) };
    }),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
  c.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      c.once('ready', () => resolve());
      setTimeout(() => reject(new Error('cluster not ready')), 10_000).unref();
    });
    await Promise.all(
      c.nodes('master').map(async (node) => {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          for (const k of keys) await node.del(k);
        } while (cursor !== '0');
      }),
    );
  } catch {
    // best effort: a node killed by the test is gone with its keys
  } finally {
    c.disconnect();
  }
}

/** The session-signing secret test servers on one Redis share (32+ bytes, as production needs). */
export const TEST_SECRET = 'anywire-test-secret-0123456789abcdef-0123456789';

/** Which Redis a suite runs against: the shared single Redis or the local cluster. */
export type RedisKind = 'single' | 'cluster';
export const redisKinds: RedisKind[] = ['single', 'cluster'];

/** redisBroker options reaching `kind` (without keyPrefix). */
export async function redisTarget(kind: RedisKind): Promise<{ url: string } | { cluster: string[] }> {
  return kind === 'single' ? { url: await redisUrl() } : { cluster: await redisClusterUrls() };
}

/** Deletes a test's keys on `kind`. */
export async function cleanPrefix(kind: RedisKind, prefix: string): Promise<void> {
  if (kind === 'single') return deletePrefix(await redisUrl(), prefix);
  return deleteClusterPrefix(await redisClusterUrls(), prefix);
}
