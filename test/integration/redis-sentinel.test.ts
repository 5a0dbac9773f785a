// Sentinel stays supported through ioredis options: a broker that finds its primary through a
// real redis-server in sentinel mode publishes, subscribes and reads history there.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { redisBroker, type BrokerMessage } from '../../src/node/server/index.js';
import { freePort, startOwnRedis, testPrefix, type OwnRedis } from '../helpers/redis.js';

let primary: OwnRedis;
let sentinel: ChildProcess;
let sentinelPort: number;
const dir = mkdtempSync(join(tmpdir(), 'anywire-sentinel-'));

beforeAll(async () => {
  primary = await startOwnRedis();
  sentinelPort = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, `port ${sentinelPort}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor mymaster 127.0.0.1 ${primary.port} 1\n`);
  sentinel = spawn('/usr/bin/redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sentinel did not start:\n${out}`)), 15_000);
    sentinel.once('exit', (code) => reject(new Error(`sentinel exited (${code}):\n${out}`)));
    sentinel.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('+monitor master mymaster')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}, 30_000);

afterAll(async () => {
  sentinel?.kill('SIGKILL');
  await primary?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('redisBroker through Sentinel', () => {
  it('finds the primary through the sentinel and works as on a plain Redis', async () => {
    const options = { keyPrefix: testPrefix(), redisOptions: { sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name: 'mymaster' } };
    const a = redisBroker(options);
    const b = redisBroker(options);
    try {
      await a.connected();
      const got: BrokerMessage[] = [];
      await b.subscribe('s', (m) => got.push(m));
      const first = await a.publish('s', '"one"', { history: { size: 10, ttl: 60_000 } });
      await a.publish('s', '"two"', { history: { size: 10, ttl: 60_000 } });
      await vi.waitFor(() => expect(got.map((m) => m.payload)).toEqual(['"one"', '"two"']));
      const h = await b.history('s', { epoch: first.epoch, offset: 0 });
      expect(h.messages.map((m) => m.offset)).toEqual([1, 2]);
      // The keys are on the primary the sentinel named (not on the default 127.0.0.1:6379).
      const direct = new Redis(primary.url);
      try {
        expect(await direct.exists(`${options.keyPrefix}{s}:m`, `${options.keyPrefix}{s}:s`)).toBe(2);
      } finally {
        direct.disconnect();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
