// The server's validators at the boundary: zod/mini schemas built from the one grammar
// (grammar.ts), so they cannot drift from the client's check; the differential tests
// (frames-check.test.ts, client-check.test.ts) hold the two compilations of it equal. Server only:
// nothing the client bundles imports this module. See docs/protocol.md.
import * as z from 'zod/mini';
import {
  clientFrames,
  serverFrames,
  type AckFrame,
  type ClientFrame,
  type ConnectFrame,
  type ErrorFrame,
  type HistoryFrame,
  type PresenceFrame,
  type Field,
  type MessageFrame,
  type PingFrame,
  type PongFrame,
  type PublishFrame,
  type ServerFrame,
  type SubscribeFrame,
  type SubscribedFrame,
  type UnsubscribeFrame,
  type WelcomeFrame,
} from './grammar.js';
import { CHANNEL_PATTERN } from './protocol.js';

export type Schema<T> = z.ZodMiniType<T>;

/** The zod schema of one field rule. */
export function fieldSchema(f: Field): z.ZodMiniType {
  let s: z.ZodMiniType;
  switch (f.k) {
    case 'int':
      s = z.int().check(z.gte(f.min));
      break;
    case 'str':
      s = f.max === Infinity ? z.string().check(z.minLength(f.min)) : z.string().check(z.minLength(f.min), z.maxLength(f.max));
      break;
    case 'ch':
      s = z.string().check(z.regex(CHANNEL_PATTERN));
      break;
    case 'lit':
      s = z.literal(f.v);
      break;
    case 'bool':
      s = z.boolean();
      break;
    case 'json':
      /** A JSON value; `undefined` is not one. */
      s = z.custom<unknown>((v) => v !== undefined);
      break;
    case 'bytes':
      s = z.custom<Uint8Array>((v) => v instanceof Uint8Array);
      break;
    case 'enum':
      s = z.enum(f.of as [string, ...string[]]);
      break;
    case 'obj':
      s = shapeSchema(f.shape);
      break;
    case 'list':
      s = z.array(fieldSchema(f.of));
      break;
    default:
      s = z.union(f.of.map(fieldSchema) as [z.ZodMiniType, z.ZodMiniType]);
  }
  return f.o ? z.optional(s) : s;
}

function shapeSchema(shape: Readonly<Record<string, Field>>, t?: string): z.ZodMiniObject {
  const fields: Record<string, z.ZodMiniType> = t === undefined ? {} : { t: z.literal(t) };
  for (const [k, f] of Object.entries(shape)) fields[k] = fieldSchema(f);
  return z.object(fields);
}

const frameSchema = <F>(grammar: Readonly<Record<string, Readonly<Record<string, Field>>>>, t: string): Schema<F> =>
  shapeSchema(grammar[t]!, t) as unknown as Schema<F>;

const union = <F>(grammar: Readonly<Record<string, Readonly<Record<string, Field>>>>): Schema<F> =>
  z.discriminatedUnion(
    't',
    Object.keys(grammar).map((t) => shapeSchema(grammar[t]!, t)) as unknown as [z.ZodMiniObject, ...z.ZodMiniObject[]],
  ) as unknown as Schema<F>;

// ---- client → server -------------------------------------------------------------------------

export const connectFrame = frameSchema<ConnectFrame>(clientFrames, 'connect');
export const subscribeFrame = frameSchema<SubscribeFrame>(clientFrames, 'sub');
export const unsubscribeFrame = frameSchema<UnsubscribeFrame>(clientFrames, 'unsub');
export const publishFrame = frameSchema<PublishFrame>(clientFrames, 'pub');
export const historyFrame = frameSchema<HistoryFrame>(clientFrames, 'hist');
export const presenceFrame = frameSchema<PresenceFrame>(clientFrames, 'pres');
export const pingFrame = frameSchema<PingFrame>(clientFrames, 'ping');
export const pongFrame = frameSchema<PongFrame>(clientFrames, 'pong');
/** Every client frame: the server's validator at the boundary. */
export const clientFrame = union<ClientFrame>(clientFrames);

// ---- server → client -------------------------------------------------------------------------

export const welcomeFrame = frameSchema<WelcomeFrame>(serverFrames, 'welcome');
export const subscribedFrame = frameSchema<SubscribedFrame>(serverFrames, 'subd');
export const messageFrame = frameSchema<MessageFrame>(serverFrames, 'msg');
export const ackFrame = frameSchema<AckFrame>(serverFrames, 'ack');
export const errorFrame = frameSchema<ErrorFrame>(serverFrames, 'err');
export const serverFrame = union<ServerFrame>(serverFrames);
export const gapReason = fieldSchema(serverFrames.subd.gap);
