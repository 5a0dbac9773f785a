// Runs the apps in examples/ as a user would (`node server.js`), against this checkout's build.
//
// Each example's package.json depends on `"anywire": "file:../.."`, which `npm install` turns into
// a symlink node_modules/anywire → the repo. The tests make the same link once, one level up
// (examples/node_modules/anywire, gitignored), and the frameworks (express, fastify, hono,
// @hono/node-server, react, vite) resolve from the repo's devDependencies further up: no
// `npm install` per example, nothing fetched, the same code paths as an installed example.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const examplesDir = resolve(repoRoot, 'examples');

/** Links examples/node_modules/anywire to the repo (as `file:../..` does) and checks dist/. */
export function linkAnywire(): void {
  for (const f of ['index.js', 'browser.js', 'server.js', 'react.js']) {
    if (!existsSync(resolve(repoRoot, 'dist', f))) throw new Error(`dist/${f} is missing: run \`npm run build\` first`);
  }
  const dir = resolve(examplesDir, 'node_modules');
  const link = resolve(dir, 'anywire');
  mkdirSync(dir, { recursive: true });
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === '../..') return;
    rmSync(link, { recursive: true, force: true });
  } catch {
    // not there yet
  }
  try {
    symlinkSync('../..', link, 'dir');
  } catch (err) {
    // Another test file made it at the same moment.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

export interface RunningExample {
  origin: string;
  child: ChildProcess;
  /** SIGTERM, resolving with the exit code. */
  stop(): Promise<number | null>;
}

/** `PORT=0 node server.js` in examples/NAME; resolves with the origin it prints. */
export function startExample(name: string): Promise<RunningExample> {
  return startScript(resolve(examplesDir, name, 'server.js'), `examples/${name}`);
}

/** `PORT=0 node FILE` in FILE's folder; resolves with the origin it prints ("listening on …"). */
export function startScript(file: string, name: string): Promise<RunningExample> {
  const child = spawn(process.execPath, [file], {
    cwd: dirname(file),
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let output = '';
  return new Promise((done, reject) => {
    const onData = (c: string) => {
      output += c;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        done({
          origin: m[1]!,
          child,
          stop: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
    void exited.then((code) => reject(new Error(`${name} exited (${code}) before listening:\n${output}`)));
  });
}
