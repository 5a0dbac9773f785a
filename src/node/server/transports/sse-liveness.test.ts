// SseLiveness with a fake clock: local credits, and the coalescing of credits for streams on other
// servers into few, small broker signals.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Broker, SignalListener } from '../brokers/types.js';
import { SseLiveness } from './sse-liveness.js';

const hb = 1000;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A broker that only carries signals (in-process), or, with `signals: false`, not even those. */
function signalBroker(signals = true): Broker {
  const none = () => Promise.reject(new Error('not used here'));
  const broker: Broker = { publish: none, history: none, subscribe: none, unsubscribe: none, healthy: true, close: async () => {} };
  if (!signals) return broker;
  const listeners = new Map<string, Set<SignalListener>>();
  broker.signal = (topic, data) => listeners.get(topic)?.forEach((l) => l(data));
  broker.onSignal = async (topic, listener) => {
    if (!listeners.has(topic)) listeners.set(topic, new Set());
    listeners.get(topic)!.add(listener);
  };
  return broker;
}

/** A server's view: the streams it holds, what they were credited, and the signals it sent. */
function node(broker: Broker, streams: string[] = []) {
  const credited: string[] = [];
  const liveness = new SseLiveness(broker, hb, (id) => {
    if (!streams.includes(id)) return false;
    credited.push(id);
    return true;
  });
  return { liveness, credited };
}

function recording(broker: Broker) {
  const sent: string[] = [];
  const signal = broker.signal!.bind(broker);
  broker.signal = (topic, data) => {
    sent.push(`${topic}:${data}`);
    signal(topic, data);
  };
  return sent;
}

describe('SseLiveness', () => {
  it('credits a stream held here at once, and signals nothing for it', async () => {
    const broker = signalBroker();
    const sent = recording(broker);
    const here = node(broker, ['s1']);
    here.liveness.heard('s1');
    here.liveness.heard('s1');
    await vi.runAllTimersAsync();
    expect(here.credited).toEqual(['s1', 's1']);
    expect(sent).toEqual([]);
  });

  it('passes credits for other servers on: at most one signal per half interval, each session once in it', async () => {
    const broker = signalBroker();
    const sent = recording(broker);
    const b = node(broker);
    const a = node(broker, ['s1', 's2']);
    a.liveness.listen();
    await vi.advanceTimersByTimeAsync(0);

    b.liveness.heard('s1'); // the first credit after a quiet spell goes at once
    b.liveness.heard('s2');
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['session-alive:s1 s2']);
    expect(a.credited).toEqual(['s1', 's2']);

    // A burst of POSTs within the next half interval: one signal at its end, each id once.
    for (let i = 0; i < 100; i++) b.liveness.heard(i % 2 ? 's1' : 's2');
    await vi.advanceTimersByTimeAsync(hb / 2 - 1);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(['session-alive:s1 s2', 'session-alive:s2 s1']);
    expect(a.credited).toEqual(['s1', 's2', 's2', 's1']);
    await vi.runAllTimersAsync();
    expect(sent).toHaveLength(2);
  });

  it('splits a large flush into signals of at most a thousand ids', async () => {
    const broker = signalBroker();
    const sent = recording(broker);
    const b = node(broker);
    for (let i = 0; i < 2500; i++) b.liveness.heard(`s${i}`);
    await vi.runAllTimersAsync();
    expect(sent.map((s) => s.split(' ').length)).toEqual([1000, 1000, 500]);
  });

  it('is not enforced, and sends nothing, on a broker without signals', async () => {
    const broker = signalBroker(false);
    const b = node(broker, ['here']);
    expect(b.liveness.enforced).toBe(false);
    b.liveness.listen();
    b.liveness.heard('elsewhere');
    b.liveness.heard('here');
    await vi.runAllTimersAsync();
    expect(b.credited).toEqual(['here']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
