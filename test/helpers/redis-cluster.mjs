#!/usr/bin/env node
// A real local Redis Cluster for the tests: three primaries and three replicas of Debian's
// `redis-server` (7.x) on free loopback ports, in a temporary directory. Used two ways:
//
//   node test/helpers/redis-cluster.mjs start [--state FILE]   starts one, prints its state JSON
//   node test/helpers/redis-cluster.mjs stop  [--state FILE]   kills it and removes its directory
//
// (.ci/run does this and exports ANYWIRE_REDIS_CLUSTER), or imported by test/helpers/redis.ts,
// which starts a cluster for a test file when no ANYWIRE_REDIS_CLUSTER is set. Start-up is bounded
// (START_TIMEOUT_MS); every failure throws with the nodes' logs, never a silent skip.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const START_TIMEOUT_MS = 45_000;
/** Short, so that a killed primary's replica takes over within a few seconds. */
const NODE_TIMEOUT_MS = 1000;

function binary(name) {
  for (const dir of ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin']) if (existsSync(join(dir, name))) return join(dir, name);
  return name;
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A loopback port that is free together with its cluster-bus port (port + 10000). */
async function freeClusterPort(taken) {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if (taken.has(port) || taken.has(port + 10000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10000))) {
      taken.add(port);
      taken.add(port + 10000);
      return port;
    }
  }
  throw new Error('redis-cluster: no free loopback port pair found');
}

function cli(port, ...args) {
  const r = spawnSync(binary('redis-cli'), ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts one node; resolves with its child process once it accepts connections. */
function startNode(dir, port) {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    `nodes-${port}.conf`,
    '--cluster-node-timeout',
    String(NODE_TIMEOUT_MS),
    '--protected-mode',
    'no',
    '--logfile',
    `redis-${port}.log`,
  ];
  return startProcess(port, args, dir);
}

function startProcess(port, args, dir) {
  const child = spawn(binary('redis-server'), args, { stdio: 'ignore', detached: false });
  return new Promise((resolve, reject) => {
    let done = false;
    child.once('error', (err) => {
      done = true;
      reject(new Error(`redis-cluster: cannot start redis-server: ${err.message}`));
    });
    child.once('exit', (code) => {
      if (done) return;
      done = true;
      reject(new Error(`redis-cluster: node ${port} exited (${code}) at start:\n${log(dir, port)}`));
    });
    const deadline = Date.now() + 10_000;
    const poll = () => {
      if (done) return;
      if (cli(port, 'ping').out.includes('PONG')) {
        done = true;
        child.removeAllListeners('exit');
        return resolve(child);
      }
      if (Date.now() > deadline) {
        done = true;
        child.kill('SIGKILL');
        return reject(new Error(`redis-cluster: node ${port} did not answer PING in 10 s:\n${log(dir, port)}`));
      }
      setTimeout(poll, 50);
    };
    poll();
  });
}

function log(dir, port) {
  try {
    return readFileSync(join(dir, `redis-${port}.log`), 'utf8')
      .split('\n')
      .slice(-20)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** True when every node reports cluster_state:ok and sees 3 primaries each with a linked replica. */
export function clusterHealthy(ports) {
  for (const p of ports) {
    if (!cli(p, 'cluster', 'info').out.includes('cluster_state:ok')) return false;
    const info = cli(p, 'info', 'replication').out;
    if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
  }
  const nodes = cli(ports[0], 'cluster', 'nodes').out.split('\n').filter(Boolean);
  const masters = nodes.filter((l) => / master /.test(l.replace(/myself,/, '')) && !l.includes('fail'));
  const replicas = nodes.filter((l) => l.includes('slave') && !l.includes('fail'));
  return masters.length === 3 && replicas.length === 3;
}

/**
 * Starts 3 primaries + 3 replicas and creates the cluster. Returns its state: `{ dir, nodes:
 * [{ port, pid }], urls }`. Kills what it started when anything fails.
 */
export async function startCluster() {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'anywire-redis-cluster-'));
  const taken = new Set();
  const ports = [];
  for (let i = 0; i < 6; i++) ports.push(await freeClusterPort(taken));
  const children = [];
  try {
    for (let i = 0; i < ports.length; i++) {
      // A port found free can be taken by someone else before redis-server binds it: another one.
      for (let attempt = 1; ; attempt++) {
        try {
          children.push(await startNode(dir, ports[i]));
          break;
        } catch (err) {
          if (attempt >= 4) throw err;
          ports[i] = await freeClusterPort(taken);
        }
      }
    }
    const create = cli(ports[0], '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes');
    if (!create.ok) throw new Error(`redis-cluster: --cluster create failed:\n${create.out}`);
    while (!clusterHealthy(ports)) {
      if (Date.now() - started > START_TIMEOUT_MS)
        throw new Error(`redis-cluster: not ok after ${START_TIMEOUT_MS} ms:\n${cli(ports[0], 'cluster', 'nodes').out}`);
      await sleep(100);
    }
  } catch (err) {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  for (const c of children) c.unref();
  return { dir, nodes: ports.map((port, i) => ({ port, pid: children[i].pid })), urls: ports.map((p) => `redis://127.0.0.1:${p}`) };
}

/** Starts a node of `state` again (after killNode), as a fresh empty node rejoining the cluster. */
export async function restartNode(state, port) {
  const node = state.nodes.find((n) => n.port === port);
  const child = await startNode(state.dir, port);
  child.unref();
  node.pid = child.pid;
}

export function killNode(state, port) {
  const node = state.nodes.find((n) => n.port === port);
  try {
    process.kill(node.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function stopCluster(state) {
  for (const n of state.nodes) {
    try {
      process.kill(n.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(state.dir, { recursive: true, force: true });
}

/** The ports that are primaries now, from the first node that answers. */
export function primaries(state) {
  for (const n of state.nodes) {
    const r = cli(n.port, 'cluster', 'nodes');
    if (!r.ok || !r.out.includes('master')) continue;
    return r.out
      .split('\n')
      .filter((l) => l.includes('master') && !l.includes('fail') && /\s\d+-\d+/.test(l))
      .map((l) => Number(l.split(' ')[1].split('@')[0].split(':')[1]));
  }
  return [];
}

// ─── command line ────────────────────────────────────────────────────────────────────────────
const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const [cmd] = process.argv.slice(2);
  const i = process.argv.indexOf('--state');
  const file = i > 0 ? process.argv[i + 1] : join(tmpdir(), 'anywire-redis-cluster.json');
  if (cmd === 'start') {
    startCluster().then(
      (state) => {
        writeFileSync(file, JSON.stringify(state));
        process.stdout.write(`${state.urls.join(',')}\n`);
        process.exit(0);
      },
      (err) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      },
    );
  } else if (cmd === 'stop') {
    if (existsSync(file)) {
      stopCluster(JSON.parse(readFileSync(file, 'utf8')));
      rmSync(file, { force: true });
    }
  } else {
    process.stderr.write('usage: redis-cluster.mjs start|stop [--state FILE]\n');
    process.exit(2);
  }
}
