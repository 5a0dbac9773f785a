// Decoding at the server's boundary: every client frame is validated; a frame that answers to an
// id gets its own BAD_REQUEST, anything else unreadable is a protocol violation.
import { MAX_BATCH, decodeBinary, decodeValue, type ClientFrame, type Decoded } from '../../core/frames.js';
import { clientFrame } from './client-check.js';

export interface ErrorReply {
  t: 'err';
  code: 'BAD_REQUEST';
  msg: string;
  id?: string | number;
}

export interface Inbound {
  frames: ClientFrame[];
  /** Per-frame rejections, to send back; the rest of the batch is still processed. */
  errors: ErrorReply[];
  /** Set when the message as a whole breaks the protocol (close the connection). */
  violation?: string;
}

function salvage(raw: unknown, decoded: Decoded<ClientFrame>): Inbound {
  if (decoded.ok) return { frames: decoded.frames, errors: [] };
  const items = Array.isArray(raw) ? raw : [raw];
  const frames: ClientFrame[] = [];
  const errors: ErrorReply[] = [];
  for (const item of items) {
    const one = decodeValue(clientFrame, item);
    if (one.ok) {
      frames.push(...one.frames);
      continue;
    }
    const id = (item as { id?: unknown } | null)?.id;
    const t = (item as { t?: unknown } | null)?.t;
    if ((t === 'pub' || t === 'sub' || t === 'hist' || t === 'pres') && (typeof id === 'string' || typeof id === 'number')) {
      errors.push({ t: 'err', code: 'BAD_REQUEST', msg: `invalid ${t} frame: ${describe(one)}`, id });
    } else {
      return { frames: [], errors: [], violation: `invalid frame: ${describe(one)}` };
    }
  }
  return { frames, errors };
}

function describe(d: Decoded<unknown>): string {
  if (d.ok) return 'ok';
  const issues = (d.cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined)?.issues;
  const first = issues?.[0];
  return first ? `${first.path.join('.') || 'frame'}: ${first.message}` : d.error;
}

/** Decodes a text message (one frame or a batch). */
export function decodeClientText(text: string): Inbound {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { frames: [], errors: [], violation: 'not JSON' };
  }
  return decodeClientValue(raw);
}

/** Decodes an already-parsed body (HTTP). */
export function decodeClientValue(raw: unknown): Inbound {
  if (Array.isArray(raw) && raw.length > MAX_BATCH) return { frames: [], errors: [], violation: 'batch too long' };
  // decodeValue mutates base64 "b" into bytes; salvage re-validates item by item only on failure.
  return salvage(raw, decodeValue(clientFrame, raw));
}

/** Decodes a binary WebSocket message (JSON header, "\n", bytes). */
export function decodeClientBinary(data: Uint8Array): Inbound {
  const decoded = decodeBinary(clientFrame, data);
  if (decoded.ok) return { frames: decoded.frames, errors: [] };
  return { frames: [], errors: [], violation: `invalid binary frame: ${describe(decoded)}` };
}
