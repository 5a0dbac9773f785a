// The HTTP downstream with fakes: the queue between polls, a held poll, the byte budget (pages,
// never one piece past it), what left in an answer, and an SSE stream's events.
import { describe, expect, it } from 'vitest';
import { Outgoing } from '../outgoing.js';
import type { ChannelSub, Session } from '../session.js';
import { HttpDownstream } from './downstream.js';

const sub = (): ChannelSub => ({ id: 1, epoch: 'E', last: 0, answered: 0, subdSent: false, pending: null, stale: false });
const msg = (ch: string, o: number, d = '1') => new Outgoing({ channel: ch, epoch: 'E', offset: o, payload: d });

function fakeSession(subs: Record<string, ChannelSub>) {
  let refills = 0;
  const session = { sub: (ch: string) => subs[ch], refillStale: () => refills++, lastSeen: 0 } as unknown as Session;
  return { session, refills: () => refills };
}

function fakeResponse() {
  const writes: string[] = [];
  let ended: string | undefined;
  const res = {
    writableLength: 0,
    write: (t: string) => (writes.push(t), true),
    end: (t?: string) => void (ended = t ?? ''),
    on: () => res,
    destroy: () => {},
  };
  return { res: res as never, writes, ended: () => ended };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('HttpDownstream', () => {
  it('queues between polls, answers a poll at once, and records what left on its subscription', () => {
    const a = sub();
    const down = new HttpDownstream(1 << 20);
    down.session = fakeSession({ a }).session;
    down.frame({ t: 'subd', id: 1, ch: 'a', e: 'E', o: 0, r: false }, a);
    a.last = 2;
    down.message(msg('a', 1), a);
    down.message(msg('a', 2), a);
    expect(down.queued).toBe(3);
    let body = '';
    down.attachPoll((b) => (body = b), false);
    expect(JSON.parse(body).map((f: { t: string; o: number }) => `${f.t}${f.o}`)).toEqual(['subd0', 'msg1', 'msg2']);
    expect([a.subdSent, a.answered, down.queued, down.attached]).toEqual([true, 2, 0, false]);
  });

  it('holds a poll until something arrives; what arrives in the same tick joins the answer', async () => {
    const a = sub();
    const down = new HttpDownstream(1 << 20);
    const answers: string[] = [];
    down.attachPoll((b) => answers.push(b), false);
    expect(down.attached).toBe(true);
    down.message(msg('a', 1), a);
    down.message(msg('a', 2), a);
    expect(answers).toEqual([]);
    await tick();
    expect(answers.map((b) => JSON.parse(b).length)).toEqual([2]);
    // A newer poll of the session makes the older one give way with nothing taken.
    down.attachPoll((b) => answers.push('old:' + b), false);
    down.attachPoll((b) => answers.push('new:' + b), false);
    expect(answers.at(-1)).toBe('old:[]');
    down.detachPoll(() => {}, true); // not the held one: nothing happens
    expect(down.attached).toBe(true);
  });

  it('takes no message past the byte budget: the subscription goes stale after the last one taken, and refills once there is room', async () => {
    const a = sub();
    const fake = fakeSession({ a });
    const text = msg('a', 1, '"' + 'x'.repeat(60) + '"').text;
    const down = new HttpDownstream(3 * text.length); // room for three
    down.session = fake.session;
    for (let o = 1; o <= 5; o++) {
      if (a.stale) continue; // the session delivers nothing more to a stale subscription
      a.last = o; // it advances before it writes
      down.message(msg('a', o, '"' + 'x'.repeat(60) + '"'), a);
    }
    expect([down.queued, a.stale, a.last]).toEqual([3, true, 3]);
    let body = '';
    down.attachPoll((b) => (body = b), true);
    expect(JSON.parse(body).map((f: { o: number }) => f.o)).toEqual([1, 2, 3]);
    await Promise.resolve();
    expect(fake.refills()).toBe(1); // history continues from offset 3
  });

  it('drops what waits for a channel, or only its subd and messages up to an offset', () => {
    const a = sub();
    const b = sub();
    const down = new HttpDownstream(1 << 20);
    down.frame({ t: 'subd', id: 1, ch: 'a', e: 'E', o: 0, r: false }, a);
    for (const o of [1, 2, 3]) down.message(msg('a', o), a);
    down.frame({ t: 'err', id: 9, ch: 'a', code: 'FORBIDDEN', msg: 'no' });
    down.message(msg('b', 1), b);
    down.drop('a', 2);
    let body = '';
    down.attachPoll((t) => (body = t), true);
    expect(JSON.parse(body).map((f: { t: string; ch: string; o?: number }) => `${f.t}:${f.ch}:${f.o ?? ''}`)).toEqual([
      'msg:a:3',
      'err:a:',
      'msg:b:1',
    ]);
    down.message(msg('a', 4), a);
    down.message(msg('b', 2), b);
    down.drop('a');
    down.attachPoll((t) => (body = t), true);
    expect(JSON.parse(body)).toHaveLength(1);
  });

  it("writes a stream's events with ids, batches a tick, heartbeats with a comment, and closes once with the reason", async () => {
    const a = sub();
    const down = new HttpDownstream(1 << 20);
    down.frame({ t: 'welcome' });
    const stream = fakeResponse();
    down.attachStream(stream.res);
    expect(stream.writes).toEqual(['id: 1\ndata: [{"t":"welcome"}]\n\n']);
    down.message(msg('a', 1), a);
    down.message(msg('a', 2), a);
    await Promise.resolve();
    expect(stream.writes[1]).toBe(`id: 2\ndata: [${msg('a', 1).text},${msg('a', 2).text}]\n\n`);
    expect(a.answered).toBe(2);
    down.heartbeat();
    expect(stream.writes.at(-1)).toBe(':\n\n');
    down.close('SERVER_SHUTTING_DOWN', 'bye', 500);
    down.close('TIMEOUT', 'again');
    expect(stream.ended()).toBe('id: 3\ndata: [{"t":"err","code":"SERVER_SHUTTING_DOWN","msg":"bye","retry":500}]\n\n');
    expect(down.endedWith).toBe('SERVER_SHUTTING_DOWN');
  });
});
