// The c100k scenario: many idle anywire WebSocket clients on ONE server process. Client processes
// open them over several loopback source addresses (127.0.0.2, 127.0.0.3, …: one address has only
// ~28,000 ephemeral ports towards one server port), every process started through `prlimit` with
// an open-files limit that fits its share. Measures server RSS per connection (after a full GC),
// the connect rate, and the time for one broadcast to reach every client. Loopback only, bounded
// in count and time; every child is killed when the scenario ends.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { spawn } from './ipc.mjs';

const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));
/** Sockets per source address: under the ~28,000 ephemeral ports of one, with room to spare. */
const PER_ADDRESS = 20_000;

export const C100K = {
  full: { count: 100_000, procs: 4, concurrency: 250, connectMs: 480_000, broadcasts: 3, broadcastMs: 30_000 },
  quick: { count: 2000, procs: 2, concurrency: 100, connectMs: 60_000, broadcasts: 2, broadcastMs: 20_000 },
};

/** The hard open-files limit of this process tree (what a process may raise its soft limit to). */
function hardLimit() {
  const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Infinity : Number(out) || 1024;
}

/** Whether prlimit may set `n` open files (raising the hard limit needs CAP_SYS_RESOURCE). */
function canSet(n) {
  return PRLIMIT !== undefined && spawnSync(PRLIMIT, [`--nofile=${n}:${n}`, 'true']).status === 0;
}

/** Node, with `nofile` descriptors allowed (through prlimit), capped at what the system permits. */
function launcher(nofile, nodeArgs) {
  if (!PRLIMIT) return { execArgv: nodeArgs };
  return { execPath: PRLIMIT, execArgv: [`--nofile=${nofile}:${nofile}`, process.execPath, ...nodeArgs] };
}

export async function runC100k({ bench, quick, count: wanted, log = console.log }) {
  const cfg = { ...(quick ? C100K.quick : C100K.full) };
  if (wanted) cfg.count = wanted;
  const notes = [];
  // One server process holds every connection: it needs count + a margin of descriptors.
  const need = cfg.count + 4096;
  let serverFiles = need;
  if (!canSet(need)) {
    const hard = hardLimit();
    serverFiles = canSet(hard) ? hard : Math.min(hard, 20_000);
    const cap = Math.max(100, serverFiles - 1024);
    notes.push(
      `BLOCKED at ${cfg.count.toLocaleString('en-US')}: the open-files hard limit here is ${hard.toLocaleString('en-US')} per process and ` +
        `raising it (prlimit --nofile=${need}:${need}) is not permitted (no CAP_SYS_RESOURCE in this container), so one server ` +
        `process can hold at most ~${cap.toLocaleString('en-US')} sockets; measured at ${cap.toLocaleString('en-US')}. ` +
        `On a host, raise it for the server (systemd LimitNOFILE=1048576, ulimit -n, or docker --ulimit nofile=1048576:1048576).`,
    );
    cfg.count = Math.min(cfg.count, cap);
  }
  // Quick mode spreads its few thousand over two addresses too, so the spreading itself is exercised.
  const addresses = Array.from({ length: Math.max(quick ? 2 : 1, Math.ceil(cfg.count / PER_ADDRESS)) }, (_, i) => `127.0.0.${i + 2}`);
  if (!PRLIMIT) notes.push('prlimit not found: the processes keep the inherited open-files limit, which may cap the count');
  const children = [];
  const track = (c) => (children.push(c), c);
  const hard = setTimeout(
    () => {
      for (const c of children) c.kill(0);
    },
    cfg.connectMs + cfg.broadcasts * cfg.broadcastMs + 120_000,
  );
  hard.unref();
  try {
    const srvLaunch = launcher(Math.min(serverFiles, cfg.count + 4096), ['--expose-gc', '--max-old-space-size=8192']);
    const srv = track(await spawn(`${bench}lib/c100k-server.mjs`, srvLaunch));
    const { url } = await srv.call('start', {});
    const base = await srv.call('mem');
    const procs = Math.min(cfg.procs, Math.max(1, Math.ceil(cfg.count / 500)));
    const share = Array.from({ length: procs }, (_, i) => Math.floor(cfg.count / procs) + (i < cfg.count % procs ? 1 : 0));
    const clients = [];
    for (let i = 0; i < procs; i++)
      clients.push(
        track(await spawn(`${bench}lib/c100k-client.mjs`, launcher(Math.min(serverFiles, share[i] + 1024), ['--max-old-space-size=4096']))),
      );
    log(`c100k: ${cfg.count} clients from ${procs} processes over ${addresses.join(', ')} to ${url}`);
    const t0 = Date.now();
    const progress = setInterval(
      () => {
        srv.call('connections', {}, 5000).then(
          (n) => log(`c100k: ${n} connected after ${((Date.now() - t0) / 1000).toFixed(0)} s`),
          () => {},
        );
      },
      quick ? 5000 : 15_000,
    );
    let opened;
    try {
      opened = await Promise.all(
        clients.map((c, i) =>
          c.call(
            'connect',
            { url, count: share[i], concurrency: Math.ceil(cfg.concurrency / procs), addresses, deadline: cfg.connectMs },
            cfg.connectMs + 60_000,
          ),
        ),
      );
    } finally {
      clearInterval(progress);
    }
    const connectSeconds = (Date.now() - t0) / 1000;
    const connected = opened.reduce((a, o) => a + o.connected, 0);
    const failures = opened.reduce((a, o) => a + o.failures, 0);
    if (failures) notes.push(`${failures} clients failed to connect (last: ${opened.find((o) => o.lastError)?.lastError})`);
    if (connected + failures < cfg.count)
      notes.push(`${connected} of ${cfg.count} connected before the ${cfg.connectMs / 1000} s connect deadline`);
    const mem = await srv.call('mem', {}, 120_000);
    const times = [];
    const sends = [];
    for (let k = 1; k <= cfg.broadcasts; k++) {
      const waits = clients.map((c) => c.call('expect', { k, timeout: cfg.broadcastMs }, cfg.broadcastMs + 5000));
      const { t0: sent, sendMs } = await srv.call('broadcast', { k });
      sends.push(sendMs);
      try {
        const got = await Promise.all(waits);
        const last = got.reduce((m, g) => (BigInt(g.last) > m ? BigInt(g.last) : m), 0n);
        times.push(Number(last - BigInt(sent)) / 1e6);
      } catch (err) {
        notes.push(String(err.message ?? err).split('\n')[0]);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const clientRss = await Promise.all(clients.map((c) => c.call('rss', {})));
    times.sort((a, b) => a - b);
    return {
      wanted: cfg.count,
      connected,
      procs,
      addresses: addresses.length,
      connectSeconds,
      connectRate: connected / connectSeconds,
      rssPerConn: (mem.rss - base.rss) / Math.max(1, connected),
      heapPerConn: (mem.heapUsed + mem.external - base.heapUsed - base.external) / Math.max(1, connected),
      serverRss: mem.rss,
      clientRssPerConn: clientRss.reduce((a, b) => a + b, 0) / Math.max(1, connected),
      broadcastMs: times,
      broadcastMedianMs: times.length ? times[Math.floor(times.length / 2)] : undefined,
      serverSendMedianMs: sends.sort((a, b) => a - b)[Math.floor(sends.length / 2)],
      notes,
    };
  } finally {
    clearTimeout(hard);
    await Promise.all(children.map((c) => c.kill(3000)));
  }
}

export function c100kTable(r) {
  const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
  const rows = [
    ['connections held', `${r.connected.toLocaleString('en-US')} of ${r.wanted.toLocaleString('en-US')}`, ''],
    ['client processes / source addresses', `${r.procs} / ${r.addresses}`, ''],
    ['connect time', `${r.connectSeconds.toFixed(1)} s`, ''],
    ['connect rate', `${Math.round(r.connectRate).toLocaleString('en-US')} /s`, ''],
    ['server RSS per connection', kb(r.rssPerConn), r.rssPerConn <= 15 * 1024 ? 'yes (≤ 15 KB)' : 'NO (≤ 15 KB)'],
    ['server heap+external per connection', kb(r.heapPerConn), ''],
    ['server RSS total', `${(r.serverRss / 2 ** 20).toFixed(0)} MiB`, ''],
    ['client-process RSS per connection', kb(r.clientRssPerConn), ''],
    [
      'one broadcast to all (median)',
      r.broadcastMedianMs === undefined
        ? 'not measured'
        : `${r.broadcastMedianMs.toFixed(0)} ms (runs: ${r.broadcastMs.map((t) => t.toFixed(0)).join(', ')})`,
      r.broadcastMedianMs === undefined ? '–' : r.broadcastMedianMs < 1000 ? 'yes (< 1 s)' : 'NO (< 1 s)',
    ],
    ['server-side send of one broadcast (median)', r.serverSendMedianMs === undefined ? '–' : `${r.serverSendMedianMs.toFixed(0)} ms`, ''],
  ];
  return {
    key: 'c100k',
    title: `c100k: idle anywire WebSocket clients on one server process`,
    head: ['measure', 'value', 'target met'],
    rows,
  };
}
