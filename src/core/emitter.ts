// The client's typed event emitter: `on`, `once`, `off`, `emit`, `removeAllListeners` and
// `listenerCount`, each listener getting one context object. Written here instead of using
// eventemitter3 (as issue 2 first asked) for issue 6's bundle budget: eventemitter3 was ~1 KB of
// the browser bundle after gzip, this is a tenth of that. Listener lists are replaced on change,
// never mutated, so a listener added or removed during `emit` counts from the next emit on (as in
// eventemitter3). A listener that throws never stops the emit: the listeners after it still run,
// and the throw goes to `fault` (the client reports it, see docs/browser.md "Errors in your code").

type Entry = [fn: (...args: never[]) => void, once: boolean];

/** The listener surface of the client and its subscriptions (the public part of `Emitter`). */
export interface Listenable<E extends { [K in keyof E]: (...args: never[]) => void }> {
  /** Adds a listener. A listener that throws is reported and never stops anywire (docs/browser.md). */
  on<K extends keyof E>(event: K, fn: E[K]): this;
  /** Adds a listener that is removed before its first call. */
  once<K extends keyof E>(event: K, fn: E[K]): this;
  /** Removes every registration of `fn`; without `fn`, every listener of the event. */
  off<K extends keyof E>(event: K, fn?: E[K]): this;
  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: keyof E): this;
  listenerCount(event: keyof E): number;
}

/** `E` maps each event name to its listener, e.g. `{ state: (ctx: StateChange) => void }`. */
export class Emitter<E extends { [K in keyof E]: (...args: never[]) => void }> implements Listenable<E> {
  #lists: { [K in keyof E]?: Entry[] } = {};

  /** Adds a listener. */
  on<K extends keyof E>(event: K, fn: E[K]): this {
    return this.#add(event, fn, false);
  }

  /** Adds a listener that is removed before its first call. */
  once<K extends keyof E>(event: K, fn: E[K]): this {
    return this.#add(event, fn, true);
  }

  /** Removes every registration of `fn`; without `fn`, every listener of the event. */
  off<K extends keyof E>(event: K, fn?: E[K]): this {
    return this.#keep(event, (e) => !!fn && e[0] !== fn);
  }

  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: keyof E): this {
    if (event !== undefined) return this.off(event);
    this.#lists = {};
    return this;
  }

  listenerCount(event: keyof E): number {
    return this.#lists[event]?.length ?? 0;
  }

  /** Calls the event's listeners in the order they were added; false when there were none. */
  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): boolean {
    const list = this.#lists[event];
    if (!list) return false;
    for (const entry of list) {
      if (entry[1]) this.#keep(event, (e) => e !== entry);
      try {
        (entry[0] as (...a: unknown[]) => void)(...args);
      } catch (cause) {
        this.fault(cause, event as string);
      }
    }
    return true;
  }

  /** Where a listener's throw goes; by default it is rethrown asynchronously, after the emit. */
  protected fault(cause: unknown, _event: string): void {
    queueMicrotask(() => {
      throw cause;
    });
  }

  #add(event: keyof E, fn: Entry[0], once: boolean): this {
    this.#lists[event] = [...(this.#lists[event] ?? []), [fn, once]];
    return this;
  }

  #keep(event: keyof E, keep: (e: Entry) => boolean): this {
    const list = this.#lists[event]?.filter(keep);
    if (list?.length) this.#lists[event] = list;
    else delete this.#lists[event];
    return this;
  }
}
