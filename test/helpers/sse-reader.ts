// Reads an SSE response opened by hand (POST /sse): its events (parsed JSON batches) and comments,
// in order, and waits on them without sleeping. `onComment` runs for every heartbeat comment: a
// test that plays the client answers it with a ping by POST /send, as the real client does.
import { createParser } from 'eventsource-parser';
import { onCleanup } from './server.js';

export type SseItem = { kind: 'event'; id: string | undefined; frames: Record<string, unknown>[] } | { kind: 'comment' };

/** Reads an SSE response: events (parsed JSON batches) and comments, in order. */
export function sseReader(res: Response, onComment?: () => void) {
  const items: SseItem[] = [];
  let wake: (() => void) | undefined;
  const parser = createParser({
    onEvent: (e) => {
      items.push({ kind: 'event', id: e.id, frames: JSON.parse(e.data) });
      wake?.();
    },
    onComment: () => {
      items.push({ kind: 'comment' });
      onComment?.();
      wake?.();
    },
  });
  let ended = false;
  void (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted
    }
    ended = true;
    wake?.();
  })();
  return {
    items,
    get ended() {
      return ended;
    },
    /** Resolves once `predicate` holds over what has arrived. */
    async until(predicate: () => boolean): Promise<void> {
      while (!predicate()) {
        if (ended) throw new Error('stream ended');
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

/** POSTs a ping for session `sid` to `<url>/send`, as an SSE client answers a heartbeat. */
export async function ping(url: string, sid: string): Promise<void> {
  try {
    const res = await fetch(`${url}/send`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ sid, frames: [{ t: 'ping' }] }),
    });
    await res.arrayBuffer();
  } catch {
    // the server went away: the stream's end says so
  }
}

/**
 * Opens a new session's stream by hand (aborted after the test). With `answer`, every heartbeat
 * comment is answered with a ping by POST, as the real client does; without, the client is silent.
 */
export async function openStream(url: string, answer: boolean): Promise<{ sse: ReturnType<typeof sseReader>; sid: string }> {
  const ac = new AbortController();
  onCleanup(() => ac.abort());
  const res = await fetch(`${url}/sse`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify({ connect: { t: 'connect', v: 2 } }),
    signal: ac.signal,
  });
  // The welcome is the first event, so it has arrived by the first comment (maybe in the same read).
  const sse = sseReader(res, () => {
    if (answer) void ping(url, welcomeSid(sse));
  });
  await sse.until(() => sse.items.length > 0);
  return { sse, sid: welcomeSid(sse) };
}

/** The session id in the welcome, the first event of a handshake stream. */
export function welcomeSid(sse: { items: SseItem[] }): string {
  const first = sse.items[0];
  const welcome = first?.kind === 'event' ? first.frames[0] : undefined;
  if (welcome?.t !== 'welcome') throw new Error(`expected a welcome, got ${JSON.stringify(first)}`);
  return welcome.sid as string;
}

/** Heartbeat comments read so far. */
export function comments(sse: { items: SseItem[] }): number {
  return sse.items.filter((i) => i.kind === 'comment').length;
}
