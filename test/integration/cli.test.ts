// The built `anywire` bin as a user runs it: help, version, bad command lines (one line on stderr,
// exit 2), a busy port (one line, exit 1), and serve --port 0 until SIGTERM (exit 0).
// Run after `npm run build` (the `test` script builds first).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const bin = resolve(root, 'dist/cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error('dist/cli.js is missing: run `npm run build` first');
});

describe('anywire (the built bin)', () => {
  it('--help, -h and serve --help print usage and exit 0', async () => {
    const [help, short, serve] = await Promise.all([cli(['--help']), cli(['-h']), cli(['serve', '--help'])]);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/anywire serve \[options\]/);
    expect(help.stdout).toMatch(/--version/);
    expect(short.stdout).toBe(help.stdout);
    expect(serve).toMatchObject({ code: 0, stderr: '' });
    for (const flag of ['--port <n>', '--host <address>', '--path <path>', '--redis <url>', '(default: 8080)', '(default: /anywire)']) {
      expect(serve.stdout).toContain(flag);
    }
  });

  it('docs/cli.md shows both help texts as the bin prints them', async () => {
    const doc = readFileSync(resolve(root, 'docs/cli.md'), 'utf8');
    const [help, serve] = await Promise.all([cli(['--help']), cli(['serve', '--help'])]);
    const stale = 'docs/cli.md differs from what the bin prints: run `npm run docs` and commit';
    expect(doc, stale).toContain('```text\n' + help.stdout + '```');
    expect(doc, stale).toContain('```text\n' + serve.stdout + '```');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([
    [['--x'], 'anywire: unknown option --x (see anywire --help)'],
    [['serve', '--definitely-not-a-flag'], 'anywire: unknown option --definitely-not-a-flag (see anywire serve --help)'],
    [['serve', '--port', 'nope'], 'anywire: --port must be an integer 0–65535, got "nope" (see anywire serve --help)'],
    [['serve', '--port'], 'anywire: option --port needs a value (see anywire serve --help)'],
    [['bogus'], 'anywire: unknown command "bogus" (see anywire --help)'],
    [[], 'anywire: missing command (see anywire --help)'],
  ])('%j: one line on stderr, exit 2', async (args, line) => {
    expect(await cli(args)).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });

  it('a busy port: one line, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as { port: number };
    try {
      expect(await cli(['serve', '--port', String(port)])).toEqual({
        code: 1,
        stdout: '',
        stderr: `anywire: port ${port} on 127.0.0.1 is busy\n`,
      });
    } finally {
      blocker.close();
    }
  });

  it('serve --port 0 prints its URL, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--path', '/rt'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const origin = await new Promise<string>((done, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const m = /^anywire listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
        if (m) done(m[1]!);
      });
      void exited.then((code) => reject(new Error(`exited early (${code})`)));
    });
    const res = await fetch(`${origin}/rt/client.js`);
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
