// A key that changes when subscribe options change in value, so that `useChannel('chat', fn,
// { rewind: 20 })` — a new object on every render — subscribes once, and new options (another
// `rewind`, new presence data) subscribe anew. Schemas and functions count by identity.

const ids = new WeakMap<object, number>();
let next = 0;
function idOf(value: object): string {
  let id = ids.get(value);
  if (id === undefined) ids.set(value, (id = ++next));
  return `#${id}`;
}

export function optionsKey(options: object | undefined): string {
  if (options === undefined) return '';
  try {
    return JSON.stringify(options, (_key, value: unknown) => {
      if (typeof value === 'function') return idOf(value);
      // A Standard Schema (zod, valibot, arktype): by identity, not by its internals.
      if (typeof value === 'object' && value !== null && '~standard' in value) return idOf(value);
      return value;
    });
  } catch {
    return idOf(options); // not JSON (a cycle, a BigInt): by identity
  }
}
