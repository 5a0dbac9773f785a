// A presence-enabled anywire server on Redis in a process of its own (bundled and started by
// presence-redis.test.ts), so that a test can kill it with SIGKILL: a server that dies without a
// goodbye. Prints "PORT <n>" once listening. argv: redis url, key prefix, grace ms, heartbeat ms, secret.
import { createServer, redisBroker } from '../../src/node/server/index.js';

const [url, prefix, grace, hb, secret] = process.argv.slice(2);
const server = createServer({
  broker: redisBroker({ url: url!, keyPrefix: prefix! }),
  secret: secret!,
  presence: true,
  presenceGrace: Number(grace),
  heartbeatInterval: Number(hb),
  authenticate: ({ token }) => (token ? { id: token } : null),
});
const { port } = await server.listen(0, '127.0.0.1');
process.stdout.write(`PORT ${port}\n`);
