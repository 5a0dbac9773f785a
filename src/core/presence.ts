// The client's side of presence and rewind: what a `sub` frame carries for them, and the member
// type. A client has one random presence id for its whole life, sent in every `sub`: the server
// keys this client's presence by it, so a reconnect, a transport change or a move to another
// server continues the same presence connection instead of making a new one.
import type { PresenceAnswerFrame, SubscribeFrame } from './frames.js';
import type { Publisher } from './publisher.js';
import type { Sub } from './subscription.js';

/** Who is present on a channel. */
export interface PresenceMember {
  /** The identity's `id` (authenticate's), or one client's presence id when there is no authenticate. */
  id: string;
  /** What `authenticate` returned for this member. */
  identity?: unknown;
  /** The presence data of one of its connections (the latest to subscribe). */
  data?: unknown;
  /** Its connections subscribed to the channel (tabs, devices). */
  connections: number;
}

/** A random id for one client (not a secret: it only groups this client's own subscriptions). */
export const newClientId = (): string => Math.random().toString(36).slice(2) + Date.now().toString(36);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any data type
type Subs = Iterable<Sub<any>>;

/**
 * Adds the presence id, the data of the channel's first subscription that has some and, on a
 * first subscribe (no `since`), the largest `rewind` asked for.
 */
export function withPresence(frame: SubscribeFrame, subs: Subs, clientId: string): SubscribeFrame {
  frame.pc = clientId;
  let rw = 0;
  for (const { options: o } of subs) {
    if (frame.p === undefined && o.presence !== undefined) frame.p = o.presence;
    if ((o.rewind ?? 0) > rw) rw = o.rewind!;
  }
  if (rw && !frame.since) frame.rw = rw > 1000 ? 1000 : Math.floor(rw);
  return frame;
}

/** `sub.presence()`: asks the server for the channel's members. */
export const requestPresence = async (publisher: Publisher, channel: string): Promise<PresenceMember[]> =>
  (await publisher.ask<PresenceAnswerFrame>({ t: 'pres', ch: channel })).m as PresenceMember[];
