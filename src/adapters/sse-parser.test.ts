// The SSE parser against the spec's line rules, fed the same stream cut at every place.
import { describe, expect, it } from 'vitest';
import { sseParser } from './sse-parser.js';

type Item = ['data', string] | ['comment'];

function parse(chunks: readonly string[]): Item[] {
  const out: Item[] = [];
  const feed = sseParser(
    (data) => out.push(['data', data]),
    () => out.push(['comment']),
  );
  for (const c of chunks) feed(c);
  return out;
}

/** Every way to cut `text` in two and in three pieces (empty pieces included). */
function* splits(text: string): Generator<string[]> {
  for (let i = 0; i <= text.length; i++) {
    yield [text.slice(0, i), text.slice(i)];
    for (let j = i; j <= text.length; j++) yield [text.slice(0, i), text.slice(i, j), '', text.slice(j)];
  }
}

// What the anywire server writes: a heartbeat comment, then events with an id and one data line.
const server = ':\n\nid: 1\ndata: [{"t":"welcome","v":1}]\n\n:\n\nid: 2\ndata: [{"t":"msg","ch":"a","o":1,"d":"x\\ny"}]\n\n';
const serverItems: Item[] = [
  ['comment'],
  ['data', '[{"t":"welcome","v":1}]'],
  ['comment'],
  ['data', '[{"t":"msg","ch":"a","o":1,"d":"x\\ny"}]'],
];

describe('sseParser', () => {
  it('reads what the anywire server sends', () => {
    expect(parse([server])).toEqual(serverItems);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('gives the same result for a stream cut anywhere, lines ending in %s', (_name, eol) => {
    const text = server.replace(/\n/g, eol);
    for (const chunks of splits(text)) expect(parse(chunks), JSON.stringify(chunks)).toEqual(serverItems);
  });

  it('a CRLF split between two chunks is one line end, not an empty line', () => {
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([['data', 'a\nb']]);
    // An empty chunk between the CR and the LF changes nothing.
    expect(parse(['data: a\r', '', '\n\r', '', '\n'])).toEqual([['data', 'a']]);
  });

  it('mixed line ends in one stream', () => {
    expect(parse(['data: 1\r\n\rdata: 2\n\r\ndata: 3\r\r'])).toEqual([
      ['data', '1'],
      ['data', '2'],
      ['data', '3'],
    ]);
  });

  it('joins data lines with "\\n" and drops one leading space only', () => {
    expect(parse(['data:a\ndata:  b\ndata\ndata:\n\n'])).toEqual([['data', 'a\n b\n\n']]);
  });

  it('ignores id, event, retry and unknown fields, and fields that only start with "data"', () => {
    expect(parse(['id: 7\nevent: x\nretry: 10\nfoo: bar\ndatum: no\ndata2: no\ndata: yes\n\n'])).toEqual([['data', 'yes']]);
  });

  it('does not dispatch an event without data, nor an unfinished one', () => {
    expect(parse(['id: 1\n\nevent: x\n\n\n\ndata: unfinished\n'])).toEqual([]);
    expect(parse(['data: cut mid-li'])).toEqual([]);
  });

  it('reports every comment line, with or without text', () => {
    expect(parse([': hello\n:\n', ':x\r\n\r\n'])).toEqual([['comment'], ['comment'], ['comment']]);
  });

  it('one long line over many chunks', () => {
    const long = 'x'.repeat(10_000);
    const text = `data: ${long}\n\n`;
    const chunks = text.match(/[\s\S]{1,7}/g)!;
    expect(parse(chunks)).toEqual([['data', long]]);
  });
});
