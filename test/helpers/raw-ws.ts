// A WebSocket that speaks the anywire protocol by hand (what an attacker's script does): it sends
// any frame, keeps every text frame the server sends, and waits on them without sleeping.
import { WebSocket } from 'ws';
import { onCleanup } from './server.js';

export type WireFrame = Record<string, unknown> & { t: string };

export interface RawWs {
  ws: WebSocket;
  frames: WireFrame[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
  /** The first frame (received already or still to come) that passes `test`. */
  next(test: (f: WireFrame) => boolean): Promise<WireFrame>;
}

/** Opens a raw socket to an anywire server's `http://…/path` URL; rejects when the upgrade is refused. */
export async function rawWs(url: string, headers: Record<string, string> = {}): Promise<RawWs> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers });
  onCleanup(() => ws.terminate());
  const frames: WireFrame[] = [];
  let wake: (() => void)[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) return;
    const v = JSON.parse(data.toString()) as WireFrame | WireFrame[];
    frames.push(...(Array.isArray(v) ? v : [v]));
    const w = wake;
    wake = [];
    for (const f of w) f();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    async next(test) {
      for (;;) {
        const f = frames.find(test);
        if (f) return f;
        await new Promise<void>((r) => wake.push(r));
      }
    },
  };
}

/** Resolves with `p`, or rejects once `ms` pass: for what the old code never did (it must fail, not hang). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}
