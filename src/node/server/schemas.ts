// The `schemas` server option: a Standard Schema per channel (an exact name, or a prefix ending in
// '*'), checked on every publish to the channel, from clients and from `server.publish()`. A
// failing publish is refused with BAD_REQUEST naming the failing paths, and nothing is stored.
import { verdict } from '../../core/schema.js';
import type { StandardSchemaV1 } from '../../core/standard-schema.js';

/** Channel name or prefix pattern (`'room:*'`) → schema. */
export type ChannelSchemas = Readonly<Record<string, StandardSchemaV1>>;

/** Characters of a refusal's message (the failing paths); the rest is cut. */
const maxMessage = 1000;

/** Why a publish is refused (a message naming the paths), nothing when it passes. */
export type Verdict = string | undefined;

/** Channels with a schema served by one server; lookups are cached per channel name (bounded). */
export class SchemaTable {
  private readonly exact = new Map<string, StandardSchemaV1>();
  /** Longest prefix first: `room:vip:*` wins over `room:*`. */
  private readonly prefixes: [string, StandardSchemaV1][] = [];
  private readonly cache = new Map<string, StandardSchemaV1 | null>();

  constructor(spec: ChannelSchemas) {
    for (const [key, schema] of Object.entries(spec)) {
      if (typeof (schema as Partial<StandardSchemaV1>)?.['~standard']?.validate !== 'function') {
        throw new TypeError(`anywire: schemas["${key}"] is not a Standard Schema (zod 4, valibot 1, arktype…)`);
      }
      if (key.endsWith('*')) this.prefixes.push([key.slice(0, -1), schema]);
      else this.exact.set(key, schema);
    }
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  /** The schema that governs `channel`, if any. */
  schemaOf(channel: string): StandardSchemaV1 | undefined {
    const hit = this.cache.get(channel);
    if (hit !== undefined) return hit ?? undefined;
    const found = this.exact.get(channel) ?? this.prefixes.find(([p]) => channel.startsWith(p))?.[1];
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(channel, found ?? null);
    return found;
  }

  /** Checks a publish's data; sync unless the channel's schema is async. */
  check(channel: string, data: unknown): Verdict | Promise<Verdict> {
    const schema = this.schemaOf(channel);
    if (!schema) return undefined;
    const threw = (e: unknown) => `"${channel}": the schema threw: ${(e as Error)?.message ?? e}`.slice(0, maxMessage);
    // Bounded: data failing in thousands of places must not make an error frame of megabytes.
    const message = (r: StandardSchemaV1.Result<unknown>) => verdict(r, channel).error?.slice(0, maxMessage);
    try {
      const r = schema['~standard'].validate(data);
      if (!(r instanceof Promise)) return message(r);
      return r.then(message, threw);
    } catch (e) {
      return threw(e);
    }
  }
}
