// The client for every hook below the provider.
import { createContext, createElement, useContext, type ReactNode } from 'react';
import type { AnywireClient } from './types.js';

const ClientContext = createContext<AnywireClient | null>(null);

/** Props of {@link AnywireProvider}. */
export interface AnywireProviderProps {
  /**
   * The client the hooks below use, from `createClient()`. Create it once (module scope, or a
   * `useState` initialiser), not on every render. For server-side rendering create it with
   * `autoConnect: false` (or only in the browser): the hooks never connect or subscribe while
   * rendering, but `createClient()` with `autoConnect: true` connects by itself. Required.
   */
  client: AnywireClient;
  /** The components that use the hooks. Default: none. */
  children?: ReactNode;
}

/**
 * Makes `client` available to `useChannel`, `usePresence` and `useConnectionState` below it.
 *
 * @example
 * const client = createClient({ url: `${location.origin}/anywire` });
 * root.render(<AnywireProvider client={client}><App /></AnywireProvider>);
 */
export function AnywireProvider({ client, children }: AnywireProviderProps): ReactNode {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/** The provider's client; throws a clear error when a hook is used outside one. */
export function useAnywireClient(hook = 'useAnywireClient'): AnywireClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error(`anywire/react: ${hook}() needs an <AnywireProvider client={client}> above it`);
  return client;
}
