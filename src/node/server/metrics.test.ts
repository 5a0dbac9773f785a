import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('escapes label values and counts HTTP sessions only within the window', () => {
    const m = new Metrics(60_000);
    m.refuse('A"B\\C\nD');
    m.heard('s1', 'polling');
    m.heard('s2', 'long-polling');
    m.heard('s1', 'polling');
    const stats = m.snapshot([{ transport: 'websocket' }], { channels: 2, subscriptions: 3, brokerUp: false });
    expect(stats.connections).toEqual({ websocket: 1, sse: 0, 'long-polling': 1, polling: 1 });
    const text = m.exposition(stats);
    expect(text).toContain('anywire_refused_total{code="A\\"B\\\\C\\nD"} 1\n');
    expect(text).toContain('anywire_broker_up 0\n');
    m.forget('s1');
    expect(m.snapshot([], { channels: 0, subscriptions: 0, brokerUp: true }).connections.polling).toBe(0);
    const stale = new Metrics(-1); // everything heard is already outside the window
    stale.heard('s', 'polling');
    expect(stale.snapshot([], { channels: 0, subscriptions: 0, brokerUp: true }).connections.polling).toBe(0);
  });
});
