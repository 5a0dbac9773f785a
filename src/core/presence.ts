// The client's side of presence and rewind: what a `sub` frame carries for them, and the member
// type. A client has one random presence id for its whole life, sent in every `sub`: the server
// keys this client's presence by it, so a reconnect, a transport change or a move to another
// server continues the same presence connection instead of making a new one.
import { AnywireError, errorMessage } from './errors.js';
import type { PresenceAnswerFrame, SubscribeFrame } from './frames.js';
import type { Requests } from './requests.js';
import type { Subscription } from './subscription.js';

/** Who is present on a channel. */
export interface PresenceMember {
  /** The identity's `id` (authenticate's), or one client's presence id when there is no authenticate. */
  id: string;
  /** What `authenticate` returned for this member. */
  identity?: unknown;
  /** The presence data of one of its connections (the latest to join). */
  data?: unknown;
  /** Its connections subscribed to the channel (tabs, devices). */
  connections: number;
}

/** A random id for one client (not a secret: it only groups this client's own subscriptions). */
export function newClientId(): string {
  let id = '';
  for (let i = 0; i < 4; i++) id += Math.floor(Math.random() * 0x100000000).toString(36);
  return id;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any data type
type Subs = Iterable<Subscription<any>>;

/** The largest `rewind` asked for by the channel's subscriptions (the first subscribe carries it). */
export function rewindOf(subs: Subs): number | undefined {
  let rw = 0;
  for (const s of subs) {
    const n = s.options.rewind;
    if (typeof n === 'number' && n >= 1) rw = Math.max(rw, Math.min(1000, Math.floor(n)));
  }
  return rw || undefined;
}

/** Adds the presence id, and the data of the channel's first subscription that has some. */
export function withPresence(frame: SubscribeFrame, subs: Subs, clientId: string): SubscribeFrame {
  frame.pc = clientId;
  for (const s of subs) {
    if (s.options.presence !== undefined) {
      frame.p = s.options.presence;
      break;
    }
  }
  return frame;
}

/** `sub.presence()`: asks the server for the channel's members. */
export async function requestPresence(requests: Requests, channel: string): Promise<PresenceMember[]> {
  const answer = await requests.add<PresenceAnswerFrame>({ t: 'pres', ch: channel });
  return answer.m as PresenceMember[];
}

/** Emits a presence event (a `msg` with `p`) on the channel's subscriptions; a throwing listener is reported. */
export function announce(subs: Subs, kind: 'join' | 'leave', member: PresenceMember, report: (err: AnywireError) => void): void {
  for (const sub of subs) {
    try {
      sub.emit(kind, { member });
    } catch (cause) {
      report(new AnywireError('PROTOCOL_ERROR', `a "${kind}" listener threw: ${errorMessage(cause)}`, { cause }));
    }
  }
}
