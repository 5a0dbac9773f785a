import { describe, expect, it } from 'vitest';
import type { ClientFrame } from '../core/frames.js';
import type { WebSocketLike } from './types.js';
import { websocket } from './websocket.js';

class FakeWebSocket implements WebSocketLike {
  static last: FakeWebSocket;
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  sent: (string | Uint8Array)[] = [];
  closedWith: number | undefined;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeWebSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
}

async function openTransport() {
  const t = websocket.create({ url: 'http://127.0.0.1:1/anywire', runtime: { WebSocket: FakeWebSocket }, token: undefined });
  await t.open({ onFrames: () => {}, onClose: () => {} }, new AbortController().signal);
  return { t, ws: FakeWebSocket.last };
}

const pub = (n: number): ClientFrame => ({ t: 'pub', id: `p${n}`, ch: 'c', d: { n } });

describe('websocket transport sends', () => {
  it('batches the frames of one task into one message, in order', async () => {
    const { t, ws } = await openTransport();
    t.send([pub(1)]);
    t.send([pub(2), pub(3)]);
    expect(ws.sent).toEqual([]);
    await Promise.resolve();
    expect(ws.sent).toEqual([JSON.stringify([pub(1), pub(2), pub(3)])]);
    t.send([pub(4)]);
    await Promise.resolve();
    expect(ws.sent[1]).toBe(JSON.stringify(pub(4)));
  });

  it('keeps binary publishes in order between text batches', async () => {
    const { t, ws } = await openTransport();
    const bin: ClientFrame = { t: 'pub', id: 'b', ch: 'c', b: new Uint8Array([1, 2]) };
    t.send([pub(1), bin, pub(2)]);
    await Promise.resolve();
    expect(ws.sent.map((m) => typeof m)).toEqual(['string', 'object', 'string']);
    expect(ws.sent[0]).toBe(JSON.stringify(pub(1)));
    expect(ws.sent[2]).toBe(JSON.stringify(pub(2)));
  });

  it('flushes frames sent just before close()', async () => {
    const { t, ws } = await openTransport();
    t.send([{ t: 'unsub', ch: 'c' }]);
    t.close();
    expect(ws.sent).toEqual([JSON.stringify({ t: 'unsub', ch: 'c' })]);
    expect(ws.closedWith).toBe(1000);
    t.send([pub(1)]);
    await Promise.resolve();
    expect(ws.sent).toHaveLength(1);
  });
});
