// Tiny request/response over the child_process IPC channel, with a timeout on every request.
import { fork } from 'node:child_process';

/** Child side: answers `{ id, cmd, args }` with `{ id, ok, result | error }`; exits with its parent. */
export function serve(handlers) {
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (msg) => {
    if (!msg || typeof msg.id !== 'number') return;
    try {
      const fn = handlers[msg.cmd];
      if (!fn) throw new Error(`unknown command ${msg.cmd}`);
      const result = await fn(msg.args ?? {});
      process.send({ id: msg.id, ok: true, result });
    } catch (err) {
      process.send({ id: msg.id, ok: false, error: String(err?.stack || err) });
    }
  });
  process.send({ ready: true });
}

/** Parent side: forks `script`, resolves once it is ready. `kill()` is idempotent and hard. */
export async function spawn(script, { execArgv = [], timeout = 20_000, env, execPath } = {}) {
  const child = fork(script, [], {
    execArgv,
    // e.g. `prlimit` with execArgv ['--nofile=N:N', node, …]: it execs node, which keeps the IPC fd.
    ...(execPath ? { execPath } : {}),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  let seq = 0;
  const waiting = new Map();
  let exited = false;
  const onExit = (code, signal) => {
    exited = true;
    for (const w of waiting.values()) w.reject(new Error(`child exited (${signal ?? code}) during "${w.cmd}"`));
    waiting.clear();
  };
  child.on('exit', onExit);
  child.on('message', (msg) => {
    const w = waiting.get(msg?.id);
    if (!w) return;
    waiting.delete(msg.id);
    clearTimeout(w.timer);
    if (msg.ok) w.resolve(msg.result);
    else w.reject(new Error(msg.error));
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeout} ms`)), timeout);
    child.on('message', function ready(m) {
      if (!m?.ready) return;
      child.off('message', ready);
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready`));
    });
  });
  return {
    child,
    call(cmd, args, ms = 60_000) {
      if (exited) return Promise.reject(new Error(`child already exited before "${cmd}"`));
      const id = ++seq;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`"${cmd}" timed out after ${ms} ms`));
        }, ms);
        waiting.set(id, { resolve, reject, timer, cmd });
        child.send({ id, cmd, args });
      });
    },
    /** Asks politely (disconnect), then SIGKILL after `grace` ms. */
    async kill(grace = 2000) {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      try {
        child.disconnect();
      } catch {}
      const t = setTimeout(() => child.kill('SIGKILL'), grace);
      await gone;
      clearTimeout(t);
    },
  };
}
