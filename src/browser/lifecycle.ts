// Platform signals for the core's lifecycle hooks: `online` retries at once instead of waiting for
// the backoff, `offline` checks the link (a dead socket may not notice for a long time), and a page
// that becomes visible again (a phone unlocked, a tab restored from the back-forward cache)
// checks the link or reconnects now. Where there is no `window` (workers, SSR) there are no hooks.
import type { ClientEnvironment, LifecycleHooks } from '../core/client.js';

type Listener = [target: EventTarget, type: string, fn: (ev: Event) => void];

/** The lifecycle hook for `ClientEnvironment`, or undefined outside a browser window. */
export function browserLifecycle(): ClientEnvironment['lifecycle'] {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') return undefined;
  return (hooks: LifecycleHooks) => {
    const doc = typeof document === 'undefined' ? undefined : document;
    const resume = () => {
      if (!doc || doc.visibilityState !== 'hidden') hooks.resume();
    };
    const listeners: Listener[] = [
      [window, 'online', () => hooks.online()],
      [window, 'offline', () => hooks.offline()],
      // Restored from the back-forward cache: the page was frozen, its sockets were not serviced.
      [window, 'pageshow', (ev) => (ev as PageTransitionEvent).persisted && resume()],
    ];
    if (doc) listeners.push([doc, 'visibilitychange', resume]);
    for (const [target, type, fn] of listeners) target.addEventListener(type, fn);
    return () => {
      for (const [target, type, fn] of listeners) target.removeEventListener(type, fn);
    };
  };
}
