/** Connection states of the client. */
export type ClientState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

/**
 * Every allowed transition. `connecting` is the first attempt after `connect()`; `reconnecting`
 * covers every later attempt and the waits between them, until connected again or given up.
 */
export const transitions: Readonly<Record<ClientState, readonly ClientState[]>> = {
  disconnected: ['connecting'],
  connecting: ['connected', 'reconnecting', 'disconnected'],
  connected: ['reconnecting', 'disconnected'],
  reconnecting: ['connected', 'disconnected'],
};

export function canTransition(from: ClientState, to: ClientState): boolean {
  return transitions[from].includes(to);
}
