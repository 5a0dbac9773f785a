// The messages between the tabs of one share group, on one BroadcastChannel (see docs/browser.md,
// "One connection for all tabs"). A hub is the tab that holds the connection; a link is one
// client's virtual transport to it (a new one for every connect attempt of that client).
import type { TransportName } from '../../adapters/types.js';
import type { createCoreClient } from '../../core/client.js';
import type { AnywireError } from '../../core/errors.js';
import type { ClientFrame, ServerFrame, WelcomeFrame } from '../../core/frames.js';

export type ShareMessage =
  /** A hub won the election (links to any other hub close: that one is gone). */
  | { k: 'lead'; hub: string }
  /** The hub's connection is up on `name`: waiting links ask again. */
  | { k: 'ready'; hub: string; name: TransportName }
  /** The hub stepped down (page hidden, frozen, closed): its links close now. */
  | { k: 'gone'; hub: string }
  /** A link asks the hub for the connection on rung `want`. `tab` names the tab's presence lock. */
  | { k: 'open'; link: string; tab: string; want: TransportName }
  /** The hub holds an open it cannot answer yet (its first connect is under way). */
  | { k: 'wait'; link: string; hub: string }
  | { k: 'opened'; link: string; hub: string; welcome: WelcomeFrame }
  | { k: 'refused'; link: string; hub: string; code: string; reason: string }
  /** Frames from a link's client for the server. */
  | { k: 'up'; link: string; hub: string; frames: ClientFrame[] }
  /** Frames for the links named. */
  | { k: 'down'; links: string[]; hub: string; frames: ServerFrame[] }
  | { k: 'close'; link: string; hub: string; reason: string }
  /** Liveness of the hub, asked by a link; answered from the hub's message handler, not a timer. */
  | { k: 'ping'; link: string; hub: string }
  | { k: 'pong'; link: string; hub: string };

/**
 * What the share code takes from the client core, passed in rather than imported: the module has
 * no imports at run time, so it loads on its own (a lazy chunk, or the script tag's sibling file)
 * without a second copy of the core.
 */
export interface ShareDeps {
  createCoreClient: typeof createCoreClient;
  AnywireError: typeof AnywireError;
  /** The wire protocol's version: tabs on another one form another group. */
  v?: number;
}
