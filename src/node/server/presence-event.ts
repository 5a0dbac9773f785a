// How a presence event (a join or a leave) is stored in a channel's history: as a JSON payload
// behind a marker byte that the JSON text of a published message never starts with, so no publish
// can forge one. The Outgoing of such a message is a `msg` frame with `p` (docs/protocol.md).

/** First character of a stored presence event: "\u0001", then "j" or "l", then the member's JSON. */
export const PRESENCE_MARK = '\u0001';

export type PresenceKind = 'join' | 'leave';

/** True when a stored payload is a presence event rather than a published message. */
export function isPresenceEvent(payload: string | Uint8Array): payload is string {
  return typeof payload === 'string' && payload.charCodeAt(0) === 1;
}

/** The payload stored for a presence event. */
export function presencePayload(kind: PresenceKind, memberJson: string): string {
  return PRESENCE_MARK + (kind === 'join' ? 'j' : 'l') + memberJson;
}

/** The kind and the member's JSON text of a stored presence event. */
export function readPresencePayload(payload: string): { kind: PresenceKind; json: string } {
  return { kind: payload[1] === 'j' ? 'join' : 'leave', json: payload.slice(2) };
}
