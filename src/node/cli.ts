/**
 * The `anywire` command: `anywire serve [--port 8080] [--host 127.0.0.1] [--path /anywire]
 * [--redis URL]` starts a standalone server with the demo chat at `/`.
 */
import { createServer as createHttpServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createServer, type ServerOptions } from './server/index.js';
import { demoPage } from './demo.js';

const usage = 'usage: anywire serve [--port 8080] [--host 127.0.0.1] [--path /anywire] [--redis URL]';

function fail(message: string): never {
  process.stderr.write(`anywire: ${message}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        path: { type: 'string', default: '/anywire' },
        redis: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(usage + '\n');
    return;
  }
  if (positionals[0] !== 'serve' || positionals.length > 1) fail(`unknown command "${positionals.join(' ')}"\n${usage}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer 0–65535, got "${values.port}"`);
  if (!values.path.startsWith('/')) fail(`--path must start with "/", got "${values.path}"`);

  // Presence on: the demo page's online list uses it.
  const options: ServerOptions = { path: values.path, presence: true };
  if (values.redis !== undefined) {
    const mod = (await import('./server/index.js')) as Record<string, unknown>;
    const redisBroker = mod.redisBroker as ((o: { url: string }) => NonNullable<ServerOptions['broker']> & { connected(): Promise<void> }) | undefined;
    if (!redisBroker) fail('--redis is not available in this build');
    if (!/^rediss?:\/\//.test(values.redis)) fail(`--redis must be a redis:// URL, got "${values.redis}"`);
    const broker = redisBroker({ url: values.redis });
    options.broker = broker;
    // An unreachable Redis does not stop the server: it serves, reports the broker unhealthy,
    // rejects publishes with BROKER_UNAVAILABLE and recovers by itself when Redis is back.
    broker.connected().catch((err: Error) => {
      process.stderr.write(`anywire: ${err.message}; serving anyway (publishes fail with BROKER_UNAVAILABLE) and retrying\n`);
    });
  }
  const anywire = createServer(options);
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
      fail(err.code === 'EADDRINUSE' ? `port ${port} on ${values.host} is busy` : err.message);
    });
    http.listen(port, values.host, () => resolve());
  });
  const addr = http.address() as import('node:net').AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  process.stdout.write(`anywire listening on http://${host}:${addr.port}\n`);

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
}

main(process.argv.slice(2)).catch((err: Error) => fail(err.message));
