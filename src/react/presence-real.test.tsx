// usePresence on the real presence implementation (server and client), in StrictMode.
import { render, screen } from '@testing-library/react';
import { afterEach, expect, it, vi } from 'vitest';
import { createClient } from '../node/index.js';
import { createServer, type ServerOptions } from '../node/server/index.js';
import { AnywireProvider, usePresence } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function Who({ name }: { name: string }) {
  const members = usePresence('room:1', { name });
  return (
    <p data-testid={`who-${name}`}>
      {members
        .map((m) => (m.data as { name: string }).name)
        .sort()
        .join(',')}
    </p>
  );
}

it('usePresence follows joins and leaves of real clients', async () => {
  const server = createServer({ presence: true, presenceGrace: 200 } as ServerOptions);
  const { url } = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  const a = createClient({ url, transports: ['websocket'] });
  const b = createClient({ url, transports: ['websocket'] });
  cleanups.push(
    () => a.close(),
    () => b.close(),
  );
  render(
    <AnywireProvider client={a}>
      <Who name="ada" />
    </AnywireProvider>,
    { reactStrictMode: true },
  );
  await vi.waitFor(() => expect(screen.getByTestId('who-ada').textContent).toBe('ada'));
  const second = render(
    <AnywireProvider client={b}>
      <Who name="bob" />
    </AnywireProvider>,
    { reactStrictMode: true },
  );
  await vi.waitFor(() => expect(screen.getByTestId('who-ada').textContent).toBe('ada,bob'));
  await vi.waitFor(() => expect(screen.getByTestId('who-bob').textContent).toBe('ada,bob'));
  // Unmounting unsubscribes; after the grace period the member leaves.
  second.unmount();
  await vi.waitFor(() => expect(screen.getByTestId('who-ada').textContent).toBe('ada'), { timeout: 5000 });
  const presence = (server as unknown as { presence(channel: string): Promise<unknown[]> }).presence('room:1');
  expect(await presence).toHaveLength(1);
});
