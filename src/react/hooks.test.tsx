import { act, render, renderHook } from '@testing-library/react';
import { useState, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClient } from '../../test/helpers/fake-client.js';
import { AnywireProvider, useChannel, useConnectionState, usePresence, type PresenceMember } from './index.js';

const flush = () => act(async () => {});

/**
 * Render options: the provider, and StrictMode at the root (testing-library's `reactStrictMode`),
 * where React 19 double-invokes effects; a <StrictMode> inside the tree it renders is not enough.
 */
function wrapper(client: FakeClient, strict = false) {
  return {
    reactStrictMode: strict,
    wrapper: ({ children }: { children: ReactNode }) => <AnywireProvider client={client.asClient}>{children}</AnywireProvider>,
  };
}

const errors = vi.spyOn(console, 'error');
afterEach(() => {
  // React reports state updates on unmounted components, act() misuse and hook order problems here.
  expect(errors.mock.calls.filter((c) => !String(c[0]).startsWith('anywire/react'))).toEqual([]);
  errors.mockClear();
});

describe.each([false, true])('useChannel (StrictMode: %s)', (strict) => {
  it('subscribes once, delivers to the handler, reports the state, unsubscribes on unmount', async () => {
    const client = new FakeClient();
    const got: unknown[] = [];
    const { result, unmount } = renderHook(() => useChannel('chat', (data, meta) => got.push([data, meta.offset])), {
      ...wrapper(client, strict),
    });
    await flush();
    expect(client.subscriptions).toHaveLength(1);
    const sub = client.subscriptions[0]!;
    expect(sub.channel).toBe('chat');
    expect(result.current.state).toBe('subscribing');
    act(() => sub.confirm());
    expect(result.current.state).toBe('subscribed');
    act(() => sub.deliver({ text: 'hi' }));
    expect(got).toEqual([[{ text: 'hi' }, 1]]);

    await act(() => result.current.publish({ text: 'out' }));
    expect(client.published).toEqual([{ channel: 'chat', data: { text: 'out' } }]);

    // While the client reconnects, the subscription is being re-established.
    act(() => client.setState('reconnecting'));
    expect(result.current.state).toBe('subscribing');
    act(() => client.setState('connected'));
    expect(result.current.state).toBe('subscribed');

    unmount();
    await flush();
    expect(client.unsubscribed).toEqual([sub]);
    expect(client.active).toEqual([]);
    expect(client.listenerCount('state')).toBe(0);
  });

  it('unmounted while the subscribe is pending: unsubscribes, and a late confirmation changes nothing', async () => {
    const client = new FakeClient();
    const handler = vi.fn();
    const { unmount } = renderHook(() => useChannel('chat', handler), wrapper(client, strict));
    await flush();
    const sub = client.subscriptions[0]!;
    expect(sub.state).toBe('subscribing');
    unmount();
    await flush();
    expect(sub.state).toBe('unsubscribed');
    sub.confirm();
    sub.deliver('late');
    expect(handler).not.toHaveBeenCalled();
    expect(client.subscriptions).toHaveLength(1);
  });

  it('always calls the latest handler without resubscribing', async () => {
    const client = new FakeClient();
    const calls: string[] = [];
    const { rerender } = renderHook(({ name }) => useChannel('chat', (d) => calls.push(`${name}:${String(d)}`)), {
      ...wrapper(client, strict),
      initialProps: { name: 'first' },
    });
    await flush();
    const sub = client.subscriptions[0]!;
    act(() => sub.deliver('a'));
    rerender({ name: 'second' });
    act(() => sub.deliver('b'));
    rerender({ name: 'third' });
    act(() => sub.deliver('c'));
    expect(calls).toEqual(['first:a', 'second:b', 'third:c']);
    expect(client.subscriptions).toHaveLength(1);
  });

  it('options by value: a new object with the same values keeps the subscription, new values resubscribe', async () => {
    const client = new FakeClient();
    const { rerender } = renderHook(({ rewind }) => useChannel('chat', undefined, { rewind }), {
      ...wrapper(client, strict),
      initialProps: { rewind: 20 },
    });
    await flush();
    rerender({ rewind: 20 });
    await flush();
    expect(client.subscriptions.map((s) => s.options)).toEqual([{ rewind: 20 }]);
    rerender({ rewind: 50 });
    await flush();
    expect(client.subscriptions.map((s) => s.options)).toEqual([{ rewind: 20 }, { rewind: 50 }]);
    expect(client.active.map((s) => s.options)).toEqual([{ rewind: 50 }]);
  });

  it('a new channel unsubscribes the old one and starts from "subscribing"', async () => {
    const client = new FakeClient();
    const { result, rerender } = renderHook(({ channel }) => useChannel(channel), {
      ...wrapper(client, strict),
      initialProps: { channel: 'a' },
    });
    await flush();
    act(() => client.subscriptions[0]!.confirm());
    expect(result.current.state).toBe('subscribed');
    rerender({ channel: 'b' });
    await flush();
    expect(client.active.map((s) => s.channel)).toEqual(['b']);
    expect(client.subscriptions.map((s) => s.channel)).toEqual(['a', 'b']);
    expect(result.current.state).toBe('subscribing');
  });

  it('a refused subscription: state unsubscribed, with the error', async () => {
    const client = new FakeClient();
    const { result } = renderHook(() => useChannel('admin'), wrapper(client, strict));
    await flush();
    const err = Object.assign(new Error('not allowed'), { code: 'FORBIDDEN' });
    act(() => client.subscriptions[0]!.fail(err));
    expect(result.current).toMatchObject({ state: 'unsubscribed', error: err });
  });

  it('two components on one channel: one subscription each', async () => {
    const client = new FakeClient();
    function Both() {
      useChannel('chat');
      useChannel('chat');
      return null;
    }
    const { unmount } = render(<Both />, wrapper(client, strict));
    await flush();
    expect(client.active).toHaveLength(2);
    unmount();
    await flush();
    expect(client.active).toHaveLength(0);
  });
});

describe.each([false, true])('useConnectionState (StrictMode: %s)', (strict) => {
  it('follows the client state and transport; removes its listeners on unmount', async () => {
    const client = new FakeClient();
    client.state = 'connecting';
    client.transport = null;
    const renders: unknown[] = [];
    const { result, unmount } = renderHook(
      () => {
        const s = useConnectionState();
        renders.push(s);
        return s;
      },
      wrapper(client, strict),
    );
    expect(result.current).toEqual({ state: 'connecting', transport: null });
    act(() => client.setState('connected', 'sse'));
    expect(result.current).toEqual({ state: 'connected', transport: 'sse' });
    const stable = result.current;
    act(() => client.emit('error', new Error('diagnostic') as never));
    expect(result.current).toBe(stable);
    unmount();
    expect(client.listenerCount('state')).toBe(0);
    expect(client.listenerCount('transport')).toBe(0);
  });
});

const ada: PresenceMember = { id: 'ada', data: { name: 'Ada' }, connections: 1 };
const bob: PresenceMember = { id: 'bob', data: { name: 'Bob' }, connections: 1 };
const cy: PresenceMember = { id: 'cy', connections: 2 };

describe.each([false, true])('usePresence (StrictMode: %s)', (strict) => {
  it('the list from sub.presence(), kept current by join and leave, refreshed after a reconnect', async () => {
    const client = new FakeClient();
    const { result, unmount } = renderHook(() => usePresence('room:1', { name: 'Ada' }), wrapper(client, strict));
    await flush();
    expect(client.subscriptions).toHaveLength(1);
    const sub = client.subscriptions[0]!;
    expect(sub.options).toEqual({ presence: { name: 'Ada' } });
    expect(result.current).toEqual([]);
    await act(async () => sub.confirm());
    expect(sub.presenceCalls).toHaveLength(1);
    // Events while the list is on its way are applied after it.
    act(() => sub.emit('join', { member: cy }));
    act(() => sub.emit('leave', { member: bob }));
    await act(async () => sub.presenceCalls[0]!.resolve([ada, bob]));
    expect(result.current).toEqual([ada, cy]);
    act(() => sub.emit('join', { member: bob }));
    expect(result.current).toEqual([ada, cy, bob]);
    act(() => sub.emit('leave', { member: cy }));
    expect(result.current).toEqual([ada, bob]);

    // After a reconnect the server confirms again: the list is read again.
    await act(async () => sub.confirm(true));
    expect(sub.presenceCalls).toHaveLength(2);
    await act(async () => sub.presenceCalls[1]!.resolve([ada]));
    expect(result.current).toEqual([ada]);

    unmount();
    await flush();
    expect(sub.state).toBe('unsubscribed');
    expect(sub.listenerCount('join') + sub.listenerCount('leave')).toBe(0);
  });

  it('unmounted while sub.presence() is pending: the late answer is dropped', async () => {
    const client = new FakeClient();
    const { unmount } = renderHook(() => usePresence('room:1'), wrapper(client, strict));
    await flush();
    const sub = client.subscriptions[0]!;
    expect(sub.options).toBeUndefined();
    await act(async () => sub.confirm());
    unmount();
    await flush();
    await act(async () => sub.presenceCalls[0]!.resolve([ada]));
  });

  it('without sub.presence() on the client: an empty list and one console error', async () => {
    const client = new FakeClient();
    const { result } = renderHook(() => usePresence('room:1'), wrapper(client, strict));
    await flush();
    const sub = client.subscriptions[0]!;
    (sub as { presence?: unknown }).presence = undefined;
    await act(async () => sub.confirm());
    expect(result.current).toEqual([]);
  });
});

describe('server-side rendering', () => {
  it('renders every hook to a string without subscribing or listening', () => {
    const client = new FakeClient();
    client.state = 'connected';
    function Page() {
      const [lines] = useState(['x']);
      const { state } = useChannel('chat', () => {});
      const conn = useConnectionState();
      const members = usePresence('room:1', { name: 'Ada' });
      return (
        <p>
          {lines.length} {state} {conn.state} {String(conn.transport)} {members.length}
        </p>
      );
    }
    const html = renderToString(
      <AnywireProvider client={client.asClient}>
        <Page />
      </AnywireProvider>,
    );
    expect(html).toBe('<p>1<!-- --> <!-- -->subscribing<!-- --> <!-- -->disconnected<!-- --> <!-- -->null<!-- --> <!-- -->0</p>');
    expect(client.subscriptions).toEqual([]);
    expect(client.listenerCount('state')).toBe(0);
  });

  it('a hook outside the provider says what is missing', () => {
    expect(() => renderToString(<Lonely />)).toThrow('anywire/react: useChannel() needs an <AnywireProvider client={client}> above it');
  });
});

function Lonely() {
  useChannel('chat');
  return null;
}
