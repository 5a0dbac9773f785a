import { useState } from 'react';
import { useChannel, useConnectionState, usePresence } from 'anywire/react';

const me = `guest-${Math.random().toString(36).slice(2, 6)}`;

export function App() {
  const [messages, setMessages] = useState([]);
  const [text, setText] = useState('');
  const [failure, setFailure] = useState('');
  // Subscribed once while mounted; the handler may be a new arrow on every render.
  const { publish, state } = useChannel('chat', (data, { offset }) => setMessages((m) => [...m, { ...data, offset }]));
  const { state: connection, transport } = useConnectionState();
  // Who is in the chat: every subscriber of 'chat', with the name each one subscribed with.
  const members = usePresence('chat', { name: me });

  async function send(event) {
    event.preventDefault();
    if (!text.trim()) return;
    setText('');
    try {
      await publish({ from: me, text }); // resolves on the server's ack
      setFailure('');
    } catch (err) {
      setFailure(`${err.code}: ${err.message}`);
    }
  }

  return (
    <main>
      <header>
        <h1>anywire chat</h1>
        <p className="status" data-testid="status">
          {connection}
          {transport ? ` over ${transport}` : ''} · chat {state}
        </p>
      </header>
      <p className="online" data-testid="online">
        online:{' '}
        {members
          .map((m) => m.data?.name ?? m.id)
          .sort()
          .join(', ')}
      </p>
      <ol data-testid="messages">
        {messages.map((m) => (
          <li key={m.offset} className={m.from === me ? 'mine' : ''}>
            <b>{m.from}</b> {m.text}
          </li>
        ))}
      </ol>
      <form onSubmit={send}>
        <input aria-label="message" value={text} onChange={(e) => setText(e.target.value)} placeholder={`say something as ${me}`} />
        <button type="submit">send</button>
      </form>
      {failure && <p className="error">{failure}</p>}
    </main>
  );
}
