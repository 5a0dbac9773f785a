// A minimal Server-Sent Events parser for the SSE transport: what the anywire server sends and
// what the spec lets a proxy change on the way. Lines end in CRLF, LF or CR; chunks may split
// anywhere, a line or a CRLF included. `data` lines are joined with "\n" and an event is
// dispatched at the blank line that ends it (an event without data is not); comment lines (":")
// are reported as heartbeats; `id`, `event`, `retry` and unknown fields are read and ignored:
// the client resumes from its own cursor, not from a last event id. Replaces eventsource-parser,
// which cost more than 1 KB of the browser bundle after gzip (issue 6).

/** Returns `feed(chunk)`; call it with each decoded text chunk of the stream, in order. */
export function sseParser(onData: (data: string) => void, onComment: () => void): (chunk: string) => void {
  const eol = /\r\n?|\n/g;
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
    if (afterCR && chunk !== '') {
      afterCR = false;
      if (chunk.charCodeAt(0) === 10) chunk = chunk.slice(1);
    }
    let start = 0;
    eol.lastIndex = 0;
    for (let m = eol.exec(chunk); m; m = eol.exec(chunk)) {
      if (m.index === chunk.length - 1 && m[0] === '\r') afterCR = true;
      const text = rest + chunk.slice(start, m.index);
      rest = '';
      start = eol.lastIndex;
      line(text);
    }
    rest += chunk.slice(start);
  };
}
