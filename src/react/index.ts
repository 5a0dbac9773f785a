/**
 * anywire/react — React hooks for an anywire client: `AnywireProvider`, `useChannel`,
 * `usePresence` and `useConnectionState`. `react` (≥ 18) is an optional peer dependency of
 * anywire: only an app that imports this entry needs it, and an app that does not import it ships
 * none of it. The hooks subscribe once per mounted component (StrictMode included), unsubscribe
 * on unmount, always call the latest handler, and never connect or subscribe while rendering on
 * the server.
 *
 * @example
 * import { createClient } from 'anywire';
 * import { AnywireProvider, useChannel, useConnectionState } from 'anywire/react';
 * const client = createClient({ url: `${location.origin}/anywire` });
 * function Chat() {
 *   const [lines, setLines] = useState<string[]>([]);
 *   const { publish } = useChannel<{ text: string }>('chat', (m) => setLines((l) => [...l, m.text]));
 *   const { state } = useConnectionState();
 *   …
 * }
 * root.render(<AnywireProvider client={client}><Chat /></AnywireProvider>);
 */
export { AnywireProvider, useAnywireClient, type AnywireProviderProps } from './context.js';
export { useChannel } from './use-channel.js';
export { usePresence } from './use-presence.js';
export { useConnectionState, type ConnectionState } from './use-connection-state.js';
export type {
  AnywireClient,
  ChannelResult,
  SubscribeOptions,
  PresenceMember,
  MessageHandler,
  MessageMeta,
  ClientState,
  TransportName,
} from './types.js';
