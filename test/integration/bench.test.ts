// The benchmark harness works: `node bench/run.mjs --quick --no-write` runs every scenario at small
// sizes, in separate processes, and exits 0. It checks the harness, not the speed (the machine is
// shared and noisy); docs/benchmarks.md is left alone (--no-write).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function runQuick(...extra: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bench/run.mjs', '--quick', '--no-write', ...extra], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // The harness bounds every case itself; this is the last line of defence.
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('npm run bench -- --quick', () => {
  it('runs every scenario and exits 0', { timeout: 180_000 }, async () => {
    const { code, out } = await runQuick();
    expect(out, out).toMatch(/scenarios printed: throughput, latency, fanout, memory, bundle/);
    for (const title of ['Throughput', 'Latency', 'Fan-out', 'Memory', 'Bundle', 'Targets']) expect(out).toContain(title);
    // raw ws, anywire WebSocket and Socket.IO are always measured; HTTP transports once built.
    expect(out).toMatch(/raw ws\s+[\d,]+ \(1\.00×\)/);
    expect(out).toMatch(/anywire WebSocket\s+[\d,]+ \(\d+\.\d\d×\)/);
    expect(out).toMatch(/Socket\.IO WebSocket\s+[\d,]+ \(\d+\.\d\d×\)/);
    expect(code, out).toBe(0);
  });
});

describe('npm run bench -- --quick --scenarios c100k', () => {
  it(
    'holds a few thousand idle WebSocket clients from two source addresses and broadcasts to all of them',
    { timeout: 180_000 },
    async () => {
      const { code, out } = await runQuick('--scenarios', 'c100k');
      expect(out, out).toMatch(/scenarios printed: c100k/);
      expect(out).toMatch(/connections held\s+2,000 of 2,000/);
      expect(out).toMatch(/client processes \/ source addresses\s+2 \/ 2/);
      expect(out).toMatch(/server RSS per connection\s+[\d.]+ KB/);
      expect(out).toMatch(/one broadcast to all \(median\)\s+\d+ ms/);
      expect(code, out).toBe(0);
    },
  );
});
