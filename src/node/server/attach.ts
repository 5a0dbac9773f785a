// Serving a path on somebody else's http server, whatever the order in which the app and anywire
// register their handlers.
//
// Listeners cannot do this: an app's 'request' listener added after attach() (`http.on('request',
// app)`, Express's `app.listen()` on a server made earlier, Hono's `getRequestListener`) would also
// see every request for anywire's path and answer it a second time (a 404, or "headers already
// sent"). So the http server's `emit` is wrapped, once per http server: a 'request',
// 'checkContinue' or 'upgrade' for a mounted path goes to that mount alone, before any listener,
// registered earlier or later; everything else is emitted as usual. Node's http server emits these
// events through `server.emit(...)`, so the wrapper sees them all.
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { sendJson } from './http-util.js';

export type AnyHttpServer = HttpServer | HttpsServer;

/** One anywire server's share of an http server. */
export interface Mount {
  owns(url: string | undefined): boolean;
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

interface Router {
  mounts: Mount[];
  /** Our wrapper, installed as the instance's `emit`. */
  wrapper: AnyHttpServer['emit'] | undefined;
  /** The instance's own `emit` before ours (undefined: the prototype's). */
  own: PropertyDescriptor | undefined;
  /**
   * Keeps `listenerCount('upgrade') > 0`: without an upgrade listener Node hands an upgrade
   * request to 'request' as a plain request, and the WebSocket handshake never happens.
   */
  upgradeListener: (req: IncomingMessage, socket: Duplex) => void;
}

const routers = new WeakMap<AnyHttpServer, Router>();

/** Routes `mount`'s path on `server` to it; returns the function that undoes it. */
export function mount(server: AnyHttpServer, m: Mount): () => void {
  let router = routers.get(server);
  if (!router) router = install(server);
  router.mounts.push(m);
  return () => {
    const r = routers.get(server);
    if (!r) return;
    const i = r.mounts.indexOf(m);
    if (i !== -1) r.mounts.splice(i, 1);
    if (r.mounts.length === 0) uninstall(server, r);
  };
}

function install(server: AnyHttpServer): Router {
  const original = server.emit;
  const router: Router = {
    mounts: [],
    wrapper: undefined,
    own: Object.getOwnPropertyDescriptor(server, 'emit'),
    upgradeListener: (_req, socket) => {
      // An upgrade for another path that no listener of the app takes: nobody will answer it.
      if (server.listenerCount('upgrade') === 1) socket.destroy();
    },
  };
  const find = (url: string | undefined): Mount | undefined => {
    for (const m of router.mounts) if (m.owns(url)) return m;
    return undefined;
  };
  function emit(this: AnyHttpServer, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' || event === 'checkContinue') {
      const req = args[0] as IncomingMessage;
      const res = args[1] as ServerResponse;
      const m = find(req.url);
      if (m) {
        if (event === 'checkContinue') res.writeContinue();
        m.request(req, res);
        return true;
      }
      if (event === 'request' && this.listenerCount('request') === 0) {
        // No app on this server (e.g. anywire's own from listen()): answer rather than hang.
        sendJson(res, 404, { code: 'BAD_REQUEST', message: 'not found' });
        return true;
      }
    } else if (event === 'upgrade') {
      const req = args[0] as IncomingMessage;
      const m = find(req.url);
      if (m) {
        m.upgrade(req, args[1] as Duplex, args[2] as Buffer);
        return true;
      }
    }
    return Reflect.apply(original, this, [event, ...args]) as boolean;
  }
  router.wrapper = emit as AnyHttpServer['emit'];
  server.emit = router.wrapper;
  server.on('upgrade', router.upgradeListener);
  routers.set(server, router);
  return router;
}

function uninstall(server: AnyHttpServer, router: Router): void {
  server.off('upgrade', router.upgradeListener);
  routers.delete(server);
  // Somebody may have wrapped `emit` after us; then ours stays inside theirs as a pass-through
  // (no mounts left), since taking it out would drop theirs.
  if (Object.getOwnPropertyDescriptor(server, 'emit')?.value !== router.wrapper) return;
  if (router.own) Object.defineProperty(server, 'emit', router.own);
  else delete (server as { emit?: unknown }).emit;
}
