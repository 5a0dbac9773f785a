import { describe, expect, it, vi } from 'vitest';
import { memoryBroker } from './brokers/memory.js';
import { ServerCore } from './core.js';
import { resolveServerOptions } from './options.js';
import type { Session } from './session.js';

describe('ServerCore.payload', () => {
  const core = new ServerCore(resolveServerOptions({ maxPayload: 10 }), memoryBroker());

  it('measures the UTF-8 bytes of the JSON text against maxPayload, whatever the characters', () => {
    expect(core.payload('12345678')).toBe('"12345678"'); // 10 bytes
    expect(core.payload('éééé')).toBe('"éééé"'); // 10 bytes in 6 units
    expect(core.payload('😀😀')).toBe('"😀😀"'); // 10 bytes in 6 units
    expect(core.payload(123)).toBe('123');
    expect(core.payload('123456789')).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'payload of 11 bytes exceeds maxPayload 10' });
    expect(core.payload('ééééé')).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'payload of 12 bytes exceeds maxPayload 10' });
    expect(core.payload('😀😀a')).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'payload of 11 bytes exceeds maxPayload 10' });
  });

  it('counts binary data by its length and refuses what is not JSON', () => {
    expect(core.payload(new Uint8Array(10))).toEqual(new Uint8Array(10));
    expect(core.payload(new Uint8Array(11))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(core.payload(undefined)).toEqual({ code: 'BAD_REQUEST', message: 'data is not a JSON value' });
    expect(core.payload(10n)).toEqual({ code: 'BAD_REQUEST', message: 'data is not a JSON value' });
  });
});

describe('ServerCore heartbeat wheel', () => {
  function fakeSession(now: number) {
    const sink = {
      heartbeats: 0,
      closedWith: '',
      heartbeat() {
        this.heartbeats++;
      },
      close(code: string) {
        this.closedWith = code;
      },
    };
    return { id: 's', identity: {}, transport: 'websocket', lastSeen: now, sink, destroy() {} };
  }

  it('heartbeats each session once per interval, spread over the interval a slot at a time', () => {
    vi.useFakeTimers();
    try {
      const core = new ServerCore(resolveServerOptions({ heartbeatInterval: 800 }), memoryBroker());
      const sessions = Array.from({ length: 16 }, () => fakeSession(Date.now()));
      for (const s of sessions) core.opened(s as unknown as Session);
      const beaten = () => sessions.filter((s) => s.sink.heartbeats > 0).length;
      vi.advanceTimersByTime(100);
      expect(beaten()).toBe(2);
      vi.advanceTimersByTime(300);
      expect(beaten()).toBe(8);
      vi.advanceTimersByTime(400);
      expect(sessions.map((s) => s.sink.heartbeats)).toEqual(Array(16).fill(1));
      // Silent for more than two intervals: each is dropped at its own slot's tick.
      vi.advanceTimersByTime(900); // t = 1700 ms: slot 0 was last heard at 0
      expect(sessions.filter((s) => s.sink.closedWith === 'TIMEOUT').length).toBe(2);
      vi.advanceTimersByTime(700);
      expect(sessions.every((s) => s.sink.closedWith === 'TIMEOUT')).toBe(true);
      core.stopWheel();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('ServerCore.encode', () => {
  it('encodes a stored message once for every session that replays it', async () => {
    const broker = memoryBroker();
    const core = new ServerCore(resolveServerOptions({}), broker);
    const { epoch } = await broker.publish('ch', '"hi"', { history: { size: 10, ttl: 60_000 } });
    const first = (await broker.history('ch', { epoch, offset: 0 })).messages[0]!;
    const again = (await broker.history('ch', { epoch, offset: 0 })).messages[0]!;
    expect(core.encode(first)).toBe(core.encode(again));
    expect(core.encode(first).text).toBe('{"t":"msg","ch":"ch","o":1,"d":"hi"}');
  });
});
