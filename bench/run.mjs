#!/usr/bin/env node
// `npm run bench [-- --quick] [--no-write] [--runs N] [--only a,b] [--scenarios pipe,conns,conns1,bundle,c100k] [--profile] [--c100k-count N]`
//
// anywire against raw `ws` (the practical limit) and Socket.IO 4.8, every case in its own
// processes on 127.0.0.1: a server process (node --expose-gc) and client processes, forked per
// case, each case bounded in count and time and killed when its deadline passes. Every figure is
// printed as a ratio to raw ws from the same run; medians over runs. `--scenarios c100k` (never a
// default) holds 100,000 idle anywire WebSocket clients on one server process (bench/lib/c100k.mjs). Writes docs/benchmarks.md
// (the generated part between the bench markers) and docs/benchmarks/*.svg unless --no-write.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('./', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const started = Date.now();

// ---- arguments --------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.findIndex((a) => a === name || a.startsWith(name + '='));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].split('=').slice(1).join('=') : argv[i + 1];
};
const quick = flag('--quick');
const write = !flag('--no-write');
const profile = flag('--profile');

// ---- a fresh clone works: bench deps and the anywire build ------------------------------------

function run(cmd, args, cwd) {
  console.log(`bench: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: "${cmd} ${args.join(' ')}" failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const needDeps = ['socket.io', 'socket.io-client', 'ws'].some((d) => !existsSync(`${BENCH}node_modules/${d}/package.json`));
if (needDeps) run(npm, ['ci', '--prefix', BENCH, '--no-audit', '--no-fund'], ROOT);
if (flag('--build') || !existsSync(`${ROOT}dist/index.js`) || !existsSync(`${ROOT}dist/server.js`)) {
  run(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['tsup'], ROOT);
}

// A private copy of dist/ for this run: another engineer's `tsup` (clean: true) mid-run must not
// pull the build out from under the children. It lives under node_modules/ so `ws`, `zod` and the
// rest resolve to anywire's own dependencies, not bench's.
const DIST = `${ROOT}node_modules/.cache/anywire-bench/dist-${process.pid}/`;
{
  const { cpSync, readdirSync, rmSync } = await import('node:fs');
  // Copies left by runs that were killed (SIGKILL skips the exit handler).
  const cache = `${ROOT}node_modules/.cache/anywire-bench/`;
  for (const d of existsSync(cache) ? readdirSync(cache) : []) {
    const pid = Number(/^dist-(\d+)$/.exec(d)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(cache + d, { recursive: true, force: true });
    }
  }
  let copied = false;
  for (let i = 0; i < 15 && !copied; i++) {
    try {
      rmSync(DIST, { recursive: true, force: true });
      mkdirSync(DIST, { recursive: true });
      for (const f of readdirSync(`${ROOT}dist`)) if (/\.(c?js)$/.test(f)) cpSync(`${ROOT}dist/${f}`, DIST + f);
      copied = existsSync(DIST + 'index.js') && existsSync(DIST + 'server.js');
    } catch {}
    if (!copied) await new Promise((r) => setTimeout(r, 2000)); // dist/ is being rebuilt right now
  }
  if (!copied) {
    console.error('bench: dist/ has no index.js and server.js; build with `npx tsup`');
    process.exit(1);
  }
  process.env.ANYWIRE_BENCH_DIST = DIST;
  process.on('exit', () => rmSync(DIST, { recursive: true, force: true }));
}

// ---- open files: 10k connections need ~10k descriptors in the server process -----------------

const { SYSTEMS, unavailableReason } = await import('./lib/systems.mjs');
const { spawn } = await import('./lib/ipc.mjs');
const { measureBundles } = await import('./lib/bundle.mjs');
const R = await import('./lib/report.mjs');

const config = quick
  ? {
      runs: 1,
      connRuns: 1,
      count: 2000,
      window: 1000,
      latencyCount: 100,
      warmup: 20,
      stages: [
        { n: 100, fanout: 'fanoutSmall' },
        { n: 200, fanout: 'fanoutLarge', memory: 'Small' },
        { n: 500, memory: 'Large' },
      ],
      broadcasts: 2,
      pipeTimeout: 15_000,
      connTimeout: 30_000,
    }
  : {
      runs: 3,
      connRuns: 2,
      count: 200_000,
      window: 1000,
      latencyCount: 2000,
      warmup: 200,
      stages: [
        { n: 1000, fanout: 'fanoutSmall' },
        { n: 2000, memory: 'Small' },
        { n: 10_000, fanout: 'fanoutLarge', memory: 'Large' },
      ],
      broadcasts: 5,
      pipeTimeout: 90_000,
      connTimeout: 240_000,
    };
if (option('--runs')) config.runs = config.connRuns = Math.max(1, Number(option('--runs')));
// ANYWIRE_BENCH_CLIENT_PROCS=1 puts every fan-out subscriber in one client process (the client's own cost per message shows).
const CLIENT_PROCS = Math.max(1, Number(process.env.ANYWIRE_BENCH_CLIENT_PROCS) || 2);
const maxConns = Math.max(...config.stages.map((s) => s.n));

const ulimit = () => Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim()) || Infinity;
const hardLimit = () => {
  const out = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Infinity : Number(out) || 0;
};
const needFds = maxConns + 512;
if (process.platform !== 'win32' && ulimit() < needFds) {
  const hard = hardLimit();
  if (hard >= needFds && !process.env.ANYWIRE_BENCH_ULIMIT) {
    // Raise the soft limit for this process tree, then run again inside it.
    console.log(`bench: open-files limit ${ulimit()} < ${needFds}; raising it to ${Math.min(hard, 65536)}`);
    const args = [process.argv[1], ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('sh', ['-c', `ulimit -n ${Math.min(hard, 65536)} && exec '${process.execPath}' ${args}`], {
      stdio: 'inherit',
      env: { ...process.env, ANYWIRE_BENCH_ULIMIT: '1' },
    });
    process.exit(r.status ?? 1);
  }
  const cap = ulimit() - 512;
  console.log(`bench: open-files limit ${ulimit()} (hard ${hard}) cannot hold ${maxConns} connections; stages capped at ${cap}`);
  for (const s of config.stages) s.n = Math.min(s.n, cap);
}

const sizes = {
  fanoutSmall: config.stages.find((s) => s.fanout === 'fanoutSmall').n,
  fanoutLarge: config.stages.find((s) => s.fanout === 'fanoutLarge').n,
  memSmall: config.stages.find((s) => s.memory === 'Small').n,
  memLarge: config.stages.find((s) => s.memory === 'Large').n,
};

// ---- which systems --------------------------------------------------------------------------

const only = option('--only')?.split(',');
const scenarios = (option('--scenarios') ?? 'pipe,conns,bundle').split(',');
const systems = SYSTEMS.filter((s) => s.name === 'ws' || !only || only.includes(s.name));
// ---- c100k: many idle connections on one server process (on its own; never part of the default)

if (scenarios.includes('c100k')) {
  const { runC100k, c100kTable } = await import('./lib/c100k.mjs');
  const wanted = option('--c100k-count') ? Number(option('--c100k-count')) : undefined;
  let table;
  try {
    const r = await runC100k({ bench: BENCH, quick, count: wanted });
    table = c100kTable(r);
    R.printTable(table);
    if (r.notes.length) console.log(`\nc100k notes:\n  ${r.notes.join('\n  ')}`);
    mkdirSync(`${ROOT}bench/results`, { recursive: true });
    writeFileSync(
      `${ROOT}bench/results/${quick ? 'quick-' : ''}c100k-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
      JSON.stringify(r, null, 2),
    );
    if (write && !quick) writeC100kDocs(table, r);
  } catch (err) {
    console.log(`c100k: FAILED ${String(err?.stack ?? err)}`);
    process.exitCode = 1;
  }
  if (scenarios.every((s) => s === 'c100k')) {
    console.log(`\nscenarios printed: ${table ? 'c100k' : ''}`);
    console.log(`bench finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.exit(process.exitCode ?? 0);
  }
}

function writeC100kDocs(table, r) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  const gen = [
    '<!-- c100k:begin (generated by `npm run bench -- --scenarios c100k`; edit outside these markers) -->',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.availableParallelism()} CPUs, ${cpu}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}; load average at the end ${load} (1/5/15 min).`,
    '',
    R.markdownTable(table),
    '',
    ...(r.notes.length ? ['Notes on this run:', '', ...r.notes.map((n) => `- ${n}`), ''] : []),
    '<!-- c100k:end -->',
  ].join('\n');
  const file = `${ROOT}docs/benchmarks.md`;
  const current = readFileSync(file, 'utf8');
  const next = /<!-- c100k:begin[\s\S]*?<!-- c100k:end -->/.test(current)
    ? current.replace(/<!-- c100k:begin[\s\S]*?<!-- c100k:end -->/, gen)
    : current + '\n## c100k\n\n' + gen + '\n';
  writeFileSync(file, next);
  console.log('wrote the c100k section of docs/benchmarks.md');
}

const skipped = {};
for (const s of systems) {
  const why = unavailableReason(s);
  if (why) skipped[s.name] = why;
}

/**
 * Subscriber counts a system can take here. Short polling at 10,000 clients would be 40,000
 * requests/s (250 ms interval) on a 2-core machine: not a fan-out measurement, so it stops at 2,000.
 * Quick mode (a harness check) keeps HTTP transports small.
 */
function connCap(system) {
  const http = system.transport !== 'websocket' && system.kind !== 'ws';
  if (quick && http) return { cap: 100, why: 'quick mode: HTTP transports at 100 at most' };
  if (system.transport === 'polling' && system.kind === 'anywire') return { cap: 2000, why: 'short polling stops at 2,000 clients' };
  // 5,000 XHR-polling Socket.IO clients per Node process never all answered a broadcast within 20 s.
  if (system.transport === 'polling' && system.kind === 'socketio')
    return { cap: 2000, why: 'Socket.IO long polling stops at 2,000 clients' };
  return { cap: Infinity };
}

/** Polling answers at most once per interval: fewer messages, or one case would take minutes. */
function scaled(system) {
  const polling = system.transport === 'polling' && system.kind === 'anywire';
  return {
    count: polling ? Math.ceil(config.count / 10) : config.count,
    latencyCount: polling ? Math.min(config.latencyCount, quick ? 8 : 40) : config.latencyCount,
    warmup: polling ? 2 : config.warmup,
  };
}

const profDir = `${ROOT}bench/results/prof-${new Date().toISOString().replace(/[:.]/g, '-')}`;
// Node 20 does not expand `${pid}` in --cpu-prof-name: each process gets a number of its own, so a
// later case's profile never overwrites an earlier one's.
let profiled = 0;
const execArgv = (role, system) =>
  profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${system}-${role}-${++profiled}.cpuprofile`] : [];

/** Runs `body(track)` with a hard deadline; every child it tracks is killed when it ends. */
async function bounded(ms, what, body) {
  const children = [];
  const track = (c) => (children.push(c), c);
  let timer;
  try {
    return await Promise.race([
      body(track),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: hard timeout after ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
    await Promise.all(children.map((c) => c.kill(profile ? 15_000 : 2000)));
  }
}

const server = (track, system) =>
  spawn(`${BENCH}lib/server-proc.mjs`, { execArgv: ['--expose-gc', ...execArgv('server', system.name)] }).then(track);
const clientProc = (track, system) => spawn(`${BENCH}lib/client-proc.mjs`, { execArgv: execArgv('client', system.name) }).then(track);

/** Throughput then latency, on one server process and one client process (pub + sub). */
async function pipeCase(system) {
  return bounded(config.pipeTimeout + 10_000, `${system.name} pipe`, async (track) => {
    const srv = await server(track, system);
    const { url } = await srv.call('start', { system: system.name });
    const cli = await clientProc(track, system);
    const s = scaled(system);
    const r = await cli.call(
      'pipe',
      { system: system.name, url, window: config.window, timeout: config.pipeTimeout, ...s },
      config.pipeTimeout * 2 + 5000,
    );
    return { throughput: r.throughput.rate, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, _detail: r };
  });
}

/**
 * Subscribers added in stages: fan-out timing and server memory per idle connection. With
 * `procs` 1 (scenario `conns1`), every subscriber lives in one client process and only fan-out is
 * kept, under keys suffixed `1`.
 */
async function connCase(system, procs = CLIENT_PROCS) {
  const suffix = procs === CLIENT_PROCS ? '' : String(procs);
  return bounded(config.connTimeout, `${system.name} fan-out/memory${suffix ? ' (one process)' : ''}`, async (track) => {
    const out = {};
    const srv = await server(track, system);
    const { url } = await srv.call('start', { system: system.name });
    const base = await srv.call('mem');
    const clients = [];
    for (let i = 0; i < procs; i++) clients.push(await clientProc(track, system));
    let have = 0;
    let k = 0;
    let fanoutFailed = false;
    const { cap, why } = connCap(system);
    for (const stage0 of config.stages) {
      // Over the cap, memory per connection is measured at the cap; fan-out (not comparable) is not.
      const stage = { ...stage0, n: Math.min(stage0.n, cap) };
      if (stage.n < stage0.n) {
        notes.add(`${system.name}: ${why}; memory of the ${stage0.n} stage measured at ${stage.n}, its fan-out not measured`);
        delete stage.fanout;
      }
      if (stage.n <= have && !stage.fanout && !stage.memory) continue;
      const add = stage.n - have;
      const share = clients.map((_, i) => Math.floor(add / clients.length) + (i < add % clients.length ? 1 : 0));
      await Promise.all(
        clients.map((c, i) => c.call('connect', { system: system.name, url, count: share[i], concurrency: 50 }, config.connTimeout)),
      );
      have = stage.n;
      if (stage.fanout && !fanoutFailed) {
        const times = [];
        try {
          for (let b = 0; b < config.broadcasts; b++) {
            const kk = ++k;
            const waits = clients.map((c) => c.call('expect', { k: kk, timeout: 20_000 }, 25_000));
            const { t0 } = await srv.call('broadcast', { k: kk });
            const got = await Promise.all(waits);
            const last = got.reduce((m, g) => (BigInt(g.last) > m ? BigInt(g.last) : m), 0n);
            times.push(Number(last - BigInt(t0)) / 1e6);
            await new Promise((r) => setTimeout(r, 50));
          }
          out[stage.fanout + suffix] = R.median(times);
        } catch (err) {
          // A broadcast that never reaches everyone is a finding, not a reason to lose the memory figures.
          fanoutFailed = true;
          const msg = `${system.name} fan-out to ${stage.n}: ${String(err?.message ?? err).split('\n')[0]}`;
          errors.push(msg);
          console.log(`  FAILED ${msg}`);
        }
      }
      if (stage.memory && !suffix) {
        const m = await srv.call('mem');
        out[`rss${stage.memory}`] = (m.rss - base.rss) / stage.n;
        out[`heap${stage.memory}`] = (m.heapUsed + m.external - base.heapUsed - base.external) / stage.n;
      }
    }
    return out;
  });
}

// ---- the run ----------------------------------------------------------------------------------

console.log(
  `anywire bench${quick ? ' (quick)' : ''}: ${os.cpus().length} CPUs (nproc ${os.availableParallelism()}), node ${process.version}, ` +
    `${config.runs} run(s), throughput ${config.count} msgs, window ${config.window}, fan-out ${sizes.fanoutSmall}/${sizes.fanoutLarge}, memory ${sizes.memSmall}/${sizes.memLarge}`,
);
for (const [name, why] of Object.entries(skipped)) console.log(`bench: skipping ${name}: ${why}`);

const raw = { runs: [] };
const errors = [];
const notes = new Set();
const runs = Math.max(config.runs, scenarios.includes('conns') || scenarios.includes('conns1') ? config.connRuns : 0);
for (let r = 0; r < runs; r++) {
  const results = {};
  raw.runs.push(results);
  for (const system of systems) {
    if (skipped[system.name]) continue;
    results[system.name] = {};
    const cases = [];
    if (scenarios.includes('pipe') && r < config.runs) cases.push(['pipe', pipeCase]);
    if (scenarios.includes('conns') && r < config.connRuns) cases.push(['conns', connCase]);
    if (scenarios.includes('conns1') && r < config.connRuns) cases.push(['conns1', (s) => connCase(s, 1)]);
    for (const [name, fn] of cases) {
      const t = Date.now();
      try {
        const res = await fn(system);
        delete res._detail;
        Object.assign(results[system.name], res);
        console.log(`run ${r + 1} ${system.name} ${name}: ${fmtCase(res)} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      } catch (err) {
        const msg = String(err?.message ?? err).split('\n')[0];
        if (/not included in this build/.test(String(err))) {
          skipped[system.name] = 'not in this build of dist/ (rebuild with `npx tsup`, or run with --build)';
          console.log(`bench: skipping ${system.name}: ${skipped[system.name]}`);
          break;
        }
        errors.push(`run ${r + 1} ${system.name} ${name}: ${msg}`);
        console.log(`run ${r + 1} ${system.name} ${name}: FAILED ${msg}`);
      }
    }
  }
}

function fmtCase(res) {
  return Object.entries(res)
    .map(([k, v]) => `${k}=${R.METRICS[k] ? R.METRICS[k].fmt(v) : v}`)
    .join(' ');
}

let bundles = [];
if (scenarios.includes('bundle')) {
  try {
    bundles = await measureBundles();
  } catch (err) {
    errors.push(`bundle: ${err.message}`);
  }
}

// ---- report ---------------------------------------------------------------------------------

const agg = R.aggregate(raw, systems);
const tabs = R.tables(agg, systems, sizes, skipped);
const printed = [];
for (const t of tabs) {
  const scenario = t.key === 'throughput' || t.key === 'latency' ? 'pipe' : t.key === 'fanout1' ? 'conns1' : 'conns';
  if (scenarios.includes(scenario)) {
    R.printTable(t);
    printed.push(t.key);
  }
}
const sio = bundles.find((b) => b.key === 'socketio');
const bundleTable = {
  key: 'bundle',
  title: 'Bundle (browser client, esbuild ESM minified, gzip -9; raw ws needs no client code, so the ratio is to socket.io-client)',
  head: ['bundle', 'min (KB)', 'min+gzip (KB)', '× socket.io-client', 'entry'],
  rows: bundles.map((b) => [
    b.name,
    (b.min / 1000).toFixed(1),
    (b.gzip / 1000).toFixed(2),
    sio ? `${(b.gzip / sio.gzip).toFixed(2)}×` : '–',
    b.note,
  ]),
};
if (bundles.length) {
  R.printTable(bundleTable);
  printed.push('bundle');
}

const ratio = (sys, m) => agg[sys]?.[m]?.ratio;
const val = (sys, m) => agg[sys]?.[m]?.value;
const byKey = (k) => bundles.find((b) => b.key === k)?.gzip;
const targets = [
  {
    what: 'WebSocket throughput',
    target: '≥ 0.9× ws',
    got: ratio('anywire-websocket', 'throughput'),
    ok: (v) => v >= 0.9,
    show: ratioText,
  },
  { what: 'WebSocket p50 latency', target: '≤ 1.1× ws', got: ratio('anywire-websocket', 'p50'), ok: (v) => v <= 1.1, show: ratioText },
  {
    what: `WebSocket fan-out to ${sizes.fanoutSmall}`,
    target: '≤ 1.1× ws',
    got: ratio('anywire-websocket', 'fanoutSmall'),
    ok: (v) => v <= 1.1,
    show: ratioText,
  },
  {
    what: `WebSocket RSS per idle connection @${sizes.memSmall}`,
    target: '≤ 1.5× ws',
    got: ratio('anywire-websocket', 'rssSmall'),
    ok: (v) => v <= 1.5,
    show: ratioText,
  },
  {
    what: `WebSocket RSS per idle connection @${sizes.memLarge}`,
    target: '≤ 1.5× ws',
    got: ratio('anywire-websocket', 'rssLarge'),
    ok: (v) => v <= 1.5,
    show: ratioText,
  },
  {
    what: 'SSE throughput',
    target: '≥ 0.7× ws',
    got: ratio('anywire-sse', 'throughput'),
    ok: (v) => v >= 0.7,
    show: ratioText,
    skip: skipped['anywire-sse'],
  },
  {
    what: 'long-polling p50 latency',
    target: '≤ 3 ms',
    got: val('anywire-long-polling', 'p50'),
    ok: (v) => v <= 3000,
    show: (v) => `${(v / 1000).toFixed(2)} ms`,
    skip: skipped['anywire-long-polling'],
  },
  {
    what: 'full browser client',
    target: '≤ 8 KB min+gzip',
    got: byKey('full'),
    ok: (v) => v <= 8000,
    show: (v) => `${(v / 1000).toFixed(2)} KB`,
  },
  {
    what: 'WebSocket-only client',
    target: '≤ 5 KB min+gzip',
    got: byKey('wsOnly'),
    ok: (v) => v <= 5000,
    show: (v) => `${(v / 1000).toFixed(2)} KB`,
  },
];
function ratioText(v) {
  return `${v.toFixed(2)}×`;
}
const targetTable = {
  key: 'targets',
  title: 'Targets',
  head: ['target', 'wanted', 'measured', 'met'],
  rows: targets.map((t) => [
    t.what,
    t.target,
    t.got === undefined ? (t.skip ? `skipped: ${t.skip}` : 'not measured') : t.show(t.got),
    t.got === undefined ? '–' : t.ok(t.got) ? 'yes' : 'NO',
  ]),
};
R.printTable(targetTable);

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (notes.size) console.log(`\nnotes:\n  ${[...notes].join('\n  ')}`);
console.log(`\nscenarios printed: ${printed.join(', ')}`);
if (errors.length) console.log(`errors:\n  ${errors.join('\n  ')}`);
console.log(`bench finished in ${seconds} s`);

const resultsDir = `${ROOT}bench/results`;
mkdirSync(resultsDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(
  `${resultsDir}/${quick ? 'quick-' : ''}${stamp}.json`,
  JSON.stringify({ config, sizes, raw, agg, bundles, skipped, errors }, null, 2),
);
if (profile) console.log(`cpu profiles in ${profDir}`);

if (write) writeDocs();
// Failures of the systems under test are findings, printed and written down; the run itself
// fails only when the yardstick (raw ws) or the harness did.
process.exit(errors.some((e) => /(^| )ws (pipe|conns|fan-out)|^bundle:/.test(e)) ? 1 : 0);

// ---- docs/benchmarks.md -----------------------------------------------------------------------

function writeDocs() {
  const docsDir = `${ROOT}docs/benchmarks`;
  mkdirSync(docsDir, { recursive: true });
  const chart = (file, title, metric, target, better) => {
    const bars = systems
      .filter((s) => s.name !== 'ws')
      .map((s) => ({
        label: s.label,
        value: skipped[s.name] ? undefined : ratio(s.name, metric),
        note: skipped[s.name] ? 'not available yet' : 'n/a',
      }));
    bars.unshift({ label: 'raw ws', value: 1 });
    writeFileSync(
      `${docsDir}/${file}`,
      R.barChart({ title, subtitle: `ratio to raw ws in the same run (${better} is better)`, bars, target }),
    );
    return `![${title}](benchmarks/${file})`;
  };
  const charts = {
    throughput: chart('throughput.svg', 'Throughput', 'throughput', 0.9, 'higher'),
    latency: chart('latency-p50.svg', 'Latency p50', 'p50', 1.1, 'lower'),
    fanout:
      chart('fanout.svg', `Fan-out to ${sizes.fanoutSmall} subscribers`, 'fanoutSmall', 1.1, 'lower') +
      '\n\n' +
      chart('fanout-large.svg', `Fan-out to ${sizes.fanoutLarge} subscribers`, 'fanoutLarge', undefined, 'lower'),
    memory: chart('memory.svg', `Server RSS per idle connection @${sizes.memLarge}`, 'rssLarge', 1.5, 'lower'),
  };
  if (bundles.length) {
    const bars = bundles.map((b) => ({ label: b.name.replace(/ \(.*\)/, (m) => m), value: sio ? b.gzip / sio.gzip : undefined }));
    writeFileSync(
      `${docsDir}/bundle.svg`,
      R.barChart({
        title: 'Browser bundle, min+gzip',
        subtitle: 'ratio to socket.io-client (lower is better)',
        bars: bars.map((b) => ({ ...b, label: b.label.replace('anywire ', 'anywire ') })),
        target: undefined,
      }).replace(/raw ws = 1/, 'socket.io-client = 1'),
    );
    charts.bundle = '![Bundle size](benchmarks/bundle.svg)';
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const gen = [
    '<!-- bench:begin (generated by `npm run bench`; edit outside these markers) -->',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.availableParallelism()} CPUs (\`nproc\`), ${cpu}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}; ${config.runs} run(s) of the pipeline cases, ` +
      `${config.connRuns} of fan-out/memory; medians of per-run ratios. The run took ${seconds} s.`,
    '',
    'Every cell: the median absolute figure, then in brackets its ratio to raw `ws` measured in the same run.',
    '',
    ...(Object.keys(skipped).length
      ? ['Not measured in this run:', '', ...Object.entries(skipped).map(([k, v]) => `- ${k}: ${v}`), '']
      : []),
    '### Targets',
    '',
    R.markdownTable(targetTable),
    '',
    ...tabs.flatMap((t) => [`### ${t.title}`, '', R.markdownTable(t), '', charts[t.key] ?? '', '']),
    ...(bundles.length ? [`### ${bundleTable.title}`, '', R.markdownTable(bundleTable), '', charts.bundle, ''] : []),
    ...(notes.size ? ['Notes on this run:', '', ...[...notes].map((n) => `- ${n}`), ''] : []),
    ...(errors.length ? ['Errors in this run:', '', ...errors.map((e) => `- ${e}`), ''] : []),
    '<!-- bench:end -->',
  ].join('\n');
  const file = `${ROOT}docs/benchmarks.md`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n<!-- bench:begin -->\n<!-- bench:end -->\n';
  const next = current.replace(/<!-- bench:begin[\s\S]*?<!-- bench:end -->/, gen);
  writeFileSync(file, next.includes(gen) ? next : current + '\n' + gen + '\n');
  console.log('wrote docs/benchmarks.md and docs/benchmarks/*.svg');
}
