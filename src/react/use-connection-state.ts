import { useMemo, useSyncExternalStore } from 'react';
import { useAnywireClient } from './context.js';
import type { AnywireClient, ClientState, TransportName } from './types.js';

/** What `useConnectionState` returns. */
export interface ConnectionState {
  /** 'disconnected', 'connecting', 'connected' or 'reconnecting' (`client.state`). */
  state: ClientState;
  /** The transport in use while connected (`client.transport`), else null. */
  transport: TransportName | null;
}

/** During server-side rendering (and hydration) nothing is connected. */
const SERVER: ConnectionState = Object.freeze({ state: 'disconnected', transport: null });
const serverSnapshot = (): ConnectionState => SERVER;

function store(client: AnywireClient) {
  let last: ConnectionState = { state: client.state, transport: client.transport };
  return {
    subscribe(listener: () => void): () => void {
      client.on('state', listener);
      client.on('transport', listener);
      return () => {
        client.off('state', listener);
        client.off('transport', listener);
      };
    },
    getSnapshot(): ConnectionState {
      if (last.state !== client.state || last.transport !== client.transport) last = { state: client.state, transport: client.transport };
      return last;
    },
  };
}

/**
 * The client's connection state and transport, re-rendering on each change. It does not connect:
 * the client does that itself (`autoConnect`) or through `client.connect()`.
 *
 * @example
 * const { state, transport } = useConnectionState();
 * return <span>{state === 'connected' ? `online (${transport})` : state}</span>;
 */
export function useConnectionState(): ConnectionState {
  const client = useAnywireClient('useConnectionState');
  const s = useMemo(() => store(client), [client]);
  return useSyncExternalStore(s.subscribe, s.getSnapshot, serverSnapshot);
}
