// Typed channels, checked at run time: the Standard Schema check of the client (before a publish
// leaves, and on every message a subscription receives) and the wording of a failure, which the
// server shares. Written for size: it ships in the browser bundle. The client checks synchronously
// only (an async schema fails every check, "async schema"); the server awaits them (schemas.ts).
import type { StandardSchemaV1 } from './standard-schema.js';

/** What a schema made of some data: its output, or (`error` set) why it failed, naming the paths. */
export interface Checked {
  value?: unknown;
  error?: string;
}

/** A schema's result as a Checked: the failing paths (`data.text: …`) joined into one message. */
export const verdict = (r: StandardSchemaV1.Result<unknown>, channel: string): Checked =>
  r.issues
    ? {
        error: `"${channel}": ${r.issues
          .map(
            (i) =>
              ['data', ...(i.path || []).map((p) => String((p as StandardSchemaV1.PathSegment).key ?? p))].join('.') + ': ' + i.message,
          )
          .join('; ')}`,
      }
    : { value: r.value };

/** Checks `data` for `channel` synchronously. A schema that throws (application code) fails the data. */
export function check(schema: StandardSchemaV1, data: unknown, channel: string): Checked {
  try {
    const r = schema['~standard'].validate(data);
    return r instanceof Promise ? { error: `"${channel}": async schema` } : verdict(r, channel);
  } catch (e) {
    return { error: `"${channel}": schema threw ${e}` };
  }
}
