// Test helpers for the HTTP adapters' msw tests: a transport under test with recorded callbacks.
// Used by src/adapters/*.test.ts.
import type { ServerFrame } from '../../src/core/frames.js';
import type { CloseInfo, CursorEntry, Transport, TransportFactory } from '../../src/adapters/types.js';

export const base = 'http://anywire.test/anywire';

export const welcome = (hb = 25_000) => ({ t: 'welcome', v: 2, sid: 'sid-1', hb, max: 65536 });

export interface Harness {
  transport: Transport;
  batches: ServerFrame[][];
  frames: () => ServerFrame[];
  closed: Promise<CloseInfo>;
  closes: CloseInfo[];
  /** Resolves once `n` batches have arrived. */
  batchesAt(n: number): Promise<void>;
}

export async function openTransport(
  factory: TransportFactory,
  options: { pollInterval?: number; cursor?: () => CursorEntry[] } = {},
): Promise<Harness> {
  const cursor = options.cursor;
  const transport = factory.create({
    // The core's positions, as cursor entries say them (the adapter turns them back with cursorOf).
    positions:
      cursor && (() => cursor().map((e) => ({ name: e.ch, subId: e.id, epoch: e.since?.e, offset: e.since?.o, confirmed: e.q === true }))),
    url: base,
    // Looked up at call time, so msw's interception of the global fetch applies.
    runtime: { fetch: (input, init) => fetch(input, init) },
    token: 'tok',
    ...(options.pollInterval === undefined ? {} : { pollInterval: options.pollInterval }),
  });
  const batches: ServerFrame[][] = [];
  const closes: CloseInfo[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let onClosed!: (info: CloseInfo) => void;
  const closed = new Promise<CloseInfo>((resolve) => (onClosed = resolve));
  await transport.open(
    {
      onFrames: (frames) => {
        batches.push(frames);
        for (const w of waiters) if (batches.length >= w.n) w.resolve();
      },
      onClose: (info) => {
        closes.push(info);
        onClosed(info);
      },
    },
    new AbortController().signal,
  );
  return {
    transport,
    batches,
    closes,
    closed,
    frames: () => batches.flat(),
    batchesAt: (n) => (batches.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

/** A controllable text/event-stream body. */
export function eventStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => (controller = c) });
  const enc = new TextEncoder();
  return {
    body,
    write: (text: string) => controller.enqueue(enc.encode(text)),
    end: () => controller.close(),
    fail: (err: Error) => controller.error(err),
  };
}
