// The hooks on a real client and a real server (loopback, port 0), in StrictMode.
import { act, render, screen } from '@testing-library/react';
import { renderToString } from 'react-dom/server';
import { useState } from 'react';
import { afterEach, expect, it, vi } from 'vitest';
import { createClient } from '../node/index.js';
import { createServer, type AnywireServer } from '../node/server/index.js';
import { AnywireProvider, useChannel, useConnectionState } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function Chat() {
  const [lines, setLines] = useState<string[]>([]);
  const { state, publish } = useChannel<{ text: string }>('chat', (m) => setLines((l) => [...l, m.text]));
  const conn = useConnectionState();
  return (
    <div>
      <p data-testid="state">
        {state} {conn.state} {String(conn.transport)}
      </p>
      <button onClick={() => void publish({ text: 'from react' })}>send</button>
      <ul>
        {lines.map((l, i) => (
          <li key={i}>{l}</li>
        ))}
      </ul>
    </div>
  );
}

it('a StrictMode app subscribes once on the server, receives, publishes and unsubscribes on unmount', async () => {
  const server: AnywireServer = createServer();
  const { url } = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  const client = createClient({ url, transports: ['websocket'] });
  cleanups.push(() => client.close());
  const { unmount } = render(
    <AnywireProvider client={client}>
      <Chat />
    </AnywireProvider>,
    { reactStrictMode: true },
  );
  await vi.waitFor(() => expect(screen.getByTestId('state').textContent).toBe('subscribed connected websocket'));
  expect(server.channelCount).toBe(1);
  await act(() => server.publish('chat', { text: 'from the backend' }));
  await vi.waitFor(() => expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['from the backend']));
  act(() => screen.getByRole('button').click());
  await vi.waitFor(() => expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['from the backend', 'from react']));
  unmount();
  await vi.waitFor(() => expect(server.channelCount).toBe(0));
});

it('server-side rendering with a real client (autoConnect: false) opens no connection', async () => {
  const server: AnywireServer = createServer();
  const { url } = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.close());
  const client = createClient({ url, autoConnect: false });
  cleanups.push(() => client.close());
  const html = renderToString(
    <AnywireProvider client={client}>
      <Chat />
    </AnywireProvider>,
  );
  expect(html).toContain('subscribing<!-- --> <!-- -->disconnected<!-- --> <!-- -->null');
  expect(client.state).toBe('disconnected');
  expect(server.connectionCount).toBe(0);
  expect(server.channelCount).toBe(0);
});
