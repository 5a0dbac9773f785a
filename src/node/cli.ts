/**
 * The `anywire` command: `anywire serve [--port 8080] [--host 127.0.0.1] [--expose] [--path
 * /anywire] [--redis URL]` starts a standalone server with the demo chat at `/`; `anywire --help`,
 * `anywire --version`. The command line is parsed (and every complaint about it worded) in
 * cli-args.ts; this file acts on it.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { isIP } from 'node:net';
import { createServer, memoryBroker, type ServerOptions } from './server/index.js';
import { demoPage, demoServerOptions } from './demo.js';
import { parseCli, RUNTIME_ERROR, USAGE_ERROR } from './cli-args.js';

/** A host only this machine can reach: a non-loopback one needs --expose (see docs/security.md). */
function loopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** One line on stderr, then exit: 2 for a bad command line (from parseCli), 1 otherwise. */
function fail(message: string, code = RUNTIME_ERROR): never {
  process.stderr.write(`anywire: ${message}\n`);
  process.exit(code);
}

function version(): string {
  // dist/cli.js sits one folder below the package's package.json, in the repo and when installed.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<void> {
  const request = parseCli(argv);
  if (request.kind === 'usage-error') fail(request.message, request.exitCode);
  if (request.kind === 'help') {
    process.stdout.write(request.text);
    return;
  }
  if (request.kind === 'version') {
    process.stdout.write(`${version()}\n`);
    return;
  }
  const { values } = request;
  const port = Number(values.port);
  if (!loopback(values.host) && !values.expose) {
    fail(`--host ${values.host} lets other machines reach the demo; add --expose if that is meant (see docs/security.md)`, USAGE_ERROR);
  }

  // --metrics: Prometheus text at <path>/metrics (<path>/health is always there).
  const options: ServerOptions = { path: values.path, metrics: values.metrics };
  let broker: ServerOptions['broker'];
  if (values.redis !== undefined) {
    const mod = (await import('./server/index.js')) as Record<string, unknown>;
    const redisBroker = mod.redisBroker as
      ((o: { url: string }) => NonNullable<ServerOptions['broker']> & { connected(): Promise<void> }) | undefined;
    if (!redisBroker) fail('--redis is not available in this build');
    // Every server on one Redis signs session ids with one key, which never goes into Redis.
    const secret = process.env.ANYWIRE_SECRET;
    if (secret === undefined) fail('--redis needs ANYWIRE_SECRET in the environment (at least 32 bytes, the same on every server)');
    options.secret = secret;
    const redis = redisBroker({ url: values.redis });
    broker = redis;
    // An unreachable Redis does not stop the server: it serves, reports the broker unhealthy,
    // rejects publishes with BROKER_UNAVAILABLE and recovers by itself when Redis is back.
    redis.connected().catch((err: Error) => {
      process.stderr.write(`anywire: ${err.message}; serving anyway (publishes fail with BROKER_UNAVAILABLE) and retrying\n`);
    });
  }
  let anywire;
  try {
    anywire = createServer({ ...options, ...demoServerOptions(broker ?? memoryBroker()) });
  } catch (err) {
    fail((err as Error).message);
  }
  const page = demoPage(anywire.path);
  const http = createHttpServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(page);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  anywire.attach(http);
  await new Promise<void>((resolve) => {
    http.once('error', (err: NodeJS.ErrnoException) => {
      const reason =
        err.code === 'EADDRINUSE'
          ? `port ${port} on ${values.host} is busy`
          : err.code === 'EACCES'
            ? `no permission to listen on port ${port} on ${values.host}`
            : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND'
              ? `cannot listen on ${values.host}: not an address of this machine`
              : err.message;
      fail(reason);
    });
    http.listen(port, values.host, () => resolve());
  });
  const addr = http.address() as import('node:net').AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await anywire.close();
    http.closeAllConnections();
    http.close(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Printed once the signal handlers are in: whoever waits for this line may stop us at once.
  process.stdout.write(`anywire listening on http://${host}:${addr.port}\n`);
}

main(process.argv.slice(2)).catch((err: Error) => fail(err.message));
