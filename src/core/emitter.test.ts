import { describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.js';

interface Events {
  a: (ctx: { n: number }) => void;
  b: () => void;
}

describe('Emitter', () => {
  it('calls listeners in order with the context object; emit says whether there were any', () => {
    const e = new Emitter<Events>();
    const calls: string[] = [];
    e.on('a', ({ n }) => calls.push(`1:${n}`)).on('a', ({ n }) => calls.push(`2:${n}`));
    expect(e.emit('a', { n: 7 })).toBe(true);
    expect(e.emit('b')).toBe(false);
    expect(calls).toEqual(['1:7', '2:7']);
    expect(e.listenerCount('a')).toBe(2);
    expect(e.listenerCount('b')).toBe(0);
  });

  it('once: removed before its first call, even when the listener emits again', () => {
    const e = new Emitter<Events>();
    const fn = vi.fn(() => e.emit('b'));
    e.once('b', fn);
    expect(e.emit('b')).toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(e.listenerCount('b')).toBe(0);
  });

  it('off removes one listener; without a listener, all of the event', () => {
    const e = new Emitter<Events>();
    const x = vi.fn();
    const y = vi.fn();
    e.on('b', x).on('b', y).off('b', x);
    e.emit('b');
    expect(x).not.toHaveBeenCalled();
    expect(y).toHaveBeenCalledTimes(1);
    e.off('b', () => {}); // not registered: nothing changes
    expect(e.listenerCount('b')).toBe(1);
    e.on('b', x).off('b');
    expect(e.listenerCount('b')).toBe(0);
  });

  it('removeAllListeners with and without an event', () => {
    const e = new Emitter<Events>();
    e.on('a', () => {}).on('b', () => {});
    e.removeAllListeners('a');
    expect([e.listenerCount('a'), e.listenerCount('b')]).toEqual([0, 1]);
    e.removeAllListeners();
    expect(e.listenerCount('b')).toBe(0);
  });

  it('a listener added or removed during emit counts from the next emit on', () => {
    const e = new Emitter<Events>();
    const late = vi.fn();
    const removed = vi.fn();
    e.on('b', () => {
      e.on('b', late);
      e.off('b', removed);
    });
    e.on('b', removed);
    e.emit('b');
    expect(late).not.toHaveBeenCalled();
    expect(removed).toHaveBeenCalledTimes(1);
    e.emit('b');
    expect(late).toHaveBeenCalledTimes(1);
    expect(removed).toHaveBeenCalledTimes(1);
  });

  it('checks event names and contexts at compile time', () => {
    const e = new Emitter<Events>();
    // @ts-expect-error -- unknown event
    e.on('c', () => {});
    // @ts-expect-error -- wrong context
    e.emit('a', { n: 'x' });
    expect(e.listenerCount('a')).toBe(0);
  });
});
