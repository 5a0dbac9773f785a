// Opening one rung of the ladder: the transport opens, the core sends `connect`, and the rung
// counts as working only when `welcome` arrives within the timeout. A refused upgrade, a
// black-holed one and a proxy that buffers the SSE stream all end here as a failure, never a hang.
import type { CloseInfo, Transport } from './transport.js';
import type { Code } from './codes.js';
import { AnywireError, errorMessage } from './errors.js';
import { PROTOCOL_VERSION, type ServerFrame, type WelcomeFrame } from './frames.js';

/** One open transport that completed the handshake. */
export interface Link {
  transport: Transport;
  /** Generation: callbacks of a link that is no longer current are ignored by the client. */
  gen: number;
  welcome: WelcomeFrame;
  lastSeen: number;
  /** Batches received; a health check compares it before and after its ping. */
  received: number;
  /** Frames that arrived with or after the welcome, before the link was adopted. */
  early: ServerFrame[];
}

export interface LinkEvents {
  /** Frames after the welcome (the welcome's own batch tail is in `link.early`). */
  frames(link: Link, frames: ServerFrame[]): void;
  /** The established link closed. */
  close(link: Link, info: CloseInfo): void;
}

/** Resolves with the link once `welcome` arrives; rejects with AnywireError otherwise. */
export function openLink(
  transport: Transport,
  gen: number,
  token: string | undefined,
  timeout: number,
  signal: AbortSignal,
  events: LinkEvents,
): Promise<Link> {
  const local = new AbortController();
  return new Promise<Link>((resolve, reject) => {
    let link: Link | undefined;
    const fail = (err: AnywireError) => {
      if (link) return;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      local.abort();
      transport.close();
      reject(err);
    };
    const onAbort = () => fail(new AnywireError('CLOSED', 'client closed'));
    signal.addEventListener('abort', onAbort);
    const timer = setTimeout(() => fail(new AnywireError('TIMEOUT', `no handshake within ${timeout} ms`)), timeout);
    transport
      .open(
        {
          onFrames: (frames) => {
            if (link) return events.frames(link, frames);
            const i = frames.findIndex((f) => f.t === 'welcome' || f.t === 'err');
            const first = frames[i];
            if (!first) return;
            if (first.t === 'err') return fail(new AnywireError(first.code as Code, first.msg, { retryAfter: first.retry }));
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            link = { transport, gen, welcome: first as WelcomeFrame, lastSeen: Date.now(), received: 0, early: frames.slice(i + 1) };
            resolve(link);
          },
          onClose: (info) => {
            if (link) return events.close(link, info);
            fail(new AnywireError((info.code as Code) ?? 'DISCONNECTED', info.reason, { retryAfter: info.retryAfter }));
          },
        },
        local.signal,
      )
      .then(
        () => {
          if (local.signal.aborted) return;
          transport.send([{ t: 'connect', v: PROTOCOL_VERSION, ...(token === undefined ? {} : { token }) }]);
        },
        (err: unknown) => fail(err instanceof AnywireError ? err : new AnywireError('DISCONNECTED', errorMessage(err), { cause: err })),
      );
  });
}
