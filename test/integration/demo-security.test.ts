// `anywire serve` is reachable by whoever reaches its port: its server must keep every client to
// the demo's channels and stamp the author of each chat message itself (issue 13), and the command
// must not listen beyond loopback unless told the exposure is meant. Real servers, real clients.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoServerOptions } from '../../src/node/demo.js';
import { memoryBroker } from '../../src/node/server/index.js';
import { client, startServer } from '../helpers/server.js';

const cli = resolve(import.meta.dirname, '../../dist/cli.js');

/** A demo page's token: the id it chose and the secret that proves it. */
const token = (id: string) => `${id}.${'0123456789abcdef'.repeat(2)}`;
const ALICE = 'a11ce0000001';
const MALLORY = '0bad00000002';

describe('the demo server of anywire serve', () => {
  it('stamps the author on the server and keeps clients to the demo channels', async () => {
    const { url } = await startServer(demoServerOptions(memoryBroker()));
    const alice = client(url, { token: token(ALICE) });
    const got: { from: { id: string; name: string }; text?: string }[] = [];
    await alice.subscribe<(typeof got)[number]>('demo.lobby', (m) => got.push(m)).ready;

    const mallory = client(url, { token: token(MALLORY) });
    // Speaking as Alice: the server stamps Mallory's own id, whatever the message claims.
    await mallory.publish(`demo.say.u${MALLORY}`, {
      k: 'msg',
      id: 'm1',
      text: 'I am Alice',
      from: { id: `u${ALICE}`, name: 'Alice' },
      extra: 'x'.repeat(10),
    });
    await mallory.publish(`demo.say.u${MALLORY}`, { k: 'typing', from: { id: '__proto__', name: 'proto' } });
    await expect.poll(() => got.length).toBe(2);
    expect(got[0]).toEqual({ k: 'msg', id: 'm1', text: 'I am Alice', from: { id: `u${MALLORY}`, name: 'Alice' } });
    expect(got[1]!.from.id).toBe(`u${MALLORY}`);

    // Nothing outside the demo's channels, nor another page's channel.
    for (const ch of ['demo.lobby', 'other', `demo.say.u${ALICE}`, `demo.probe.u${ALICE}.websocket`]) {
      await expect(mallory.publish(ch, { k: 'msg', text: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(mallory.subscribe('other').ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(mallory.publish(`demo.probe.u${MALLORY}.websocket`, 1)).resolves.toBeDefined();
    // Alice's id is bound to Alice's secret: another secret cannot take it.
    const impostor = client(url, { token: `${ALICE}.${'f'.repeat(32)}`, reconnect: false });
    await expect(impostor.connect()).rejects.toBeDefined();
    expect(got).toHaveLength(2);
  });
});

describe('anywire serve --host', () => {
  it('refuses a non-loopback host unless --expose says the exposure is meant', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((done) => {
        const p = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.stdout.on('data', () => p.kill('SIGTERM')); // it listened: stop it
        p.once('exit', (code) => done({ code, err }));
      });
    const refused = await run(['--host', '0.0.0.0']);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/--expose/);
    // Loopback needs no flag; --expose is accepted (not tried beyond loopback here).
    expect((await run(['--host', '127.0.0.1', '--expose'])).code).toBe(0);
  });
});
