// A minimal Server-Sent Events parser for the SSE transport: what the anywire server sends and
// what the spec lets a proxy change on the way. Lines end in CRLF, LF or CR; chunks may split
// anywhere, a line or a CRLF included. `data` lines are joined with "\n" and an event is
// dispatched at the blank line that ends it (an event without data is not); comment lines (":")
// are reported as heartbeats; `id`, `event`, `retry` and unknown fields are read and ignored:
// the client resumes from its own cursor, not from a last event id. Replaces eventsource-parser,
// which cost more than 1 KB of the browser bundle after gzip (issue 6).

/** Returns `feed(chunk)`; call it with each decoded text chunk of the stream, in order. */
export function sseParser(onData: (data: string) => void, onComment: () => void): (chunk: string) => void {
  /** The unfinished line carried over from earlier chunks. */
  let rest = '';
  /** The data of the event being read; undefined until its first `data` line. */
  let data: string | undefined;
  /** The last chunk ended with CR: an LF starting the next one belongs to it. */
  let afterCR = false;

  const line = (text: string): void => {
    if (text === '') {
      if (data !== undefined) {
        const event = data;
        data = undefined;
        onData(event);
      }
    } else if (text.charCodeAt(0) === 58 /* : */) {
      onComment();
    } else if (text.startsWith('data')) {
      // `data`, `data:`, `data:value` and `data: value` (one leading space is dropped); any other
      // field name that merely starts with "data" is not data.
      const c = text.charCodeAt(4);
      if (text.length > 4 && c !== 58) return;
      const value = text.slice(text.charCodeAt(5) === 32 ? 6 : 5);
      data = data === undefined ? value : data + '\n' + value;
    }
  };

  return (chunk) => {
    let start = 0;
    if (afterCR && chunk !== '') {
      afterCR = false;
      if (chunk.charCodeAt(0) === 10) start = 1;
    }
    // Only the chunk is scanned (with indexOf, the fastest scan there is): a long line carried
    // over many chunks is joined once, when it ends.
    let cr = chunk.indexOf('\r', start);
    let lf = chunk.indexOf('\n', start);
    while (cr >= 0 || lf >= 0) {
      const end = lf < 0 || (cr >= 0 && cr < lf) ? cr : lf;
      let next = end + 1;
      if (end === cr) {
        if (next === chunk.length) afterCR = true;
        else if (chunk.charCodeAt(next) === 10) next++;
      }
      const text = rest + chunk.slice(start, end);
      rest = '';
      start = next;
      if (cr >= 0 && cr < next) cr = chunk.indexOf('\r', next);
      if (lf >= 0 && lf < next) lf = chunk.indexOf('\n', next);
      line(text);
    }
    rest += chunk.slice(start);
  };
}
