// The client's typed event emitter: `on`, `once`, `off`, `emit`, `removeAllListeners` and
// `listenerCount`, each listener getting one context object. Written here instead of using
// eventemitter3 (as issue 2 first asked) for issue 6's bundle budget: eventemitter3 was ~1 KB of
// the browser bundle after gzip, this is a tenth of that. Listener lists are replaced on change,
// never mutated, so a listener added or removed during `emit` counts from the next emit on (as in
// eventemitter3).

type Entry = [fn: (...args: never[]) => void, once: boolean];

/** `E` maps each event name to its listener, e.g. `{ state: (ctx: StateChange) => void }`. */
export class Emitter<E extends { [K in keyof E]: (...args: never[]) => void }> {
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
      (entry[0] as (...a: unknown[]) => void)(...args);
    }
    return true;
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
