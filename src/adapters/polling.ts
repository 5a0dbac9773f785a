// Short polling: the client asks every `pollInterval` ms and the server answers at once with what
// the channels' histories hold after the client's cursor. The cheapest to proxy, the slowest to
// deliver. See docs/transports.md for the trade-off.
import { PollTransport } from './http-poll.js';
import type { TransportFactory } from './types.js';

/** Default ms between polls when the client does not set `pollInterval`. */
const defaultInterval = 2000;

/** The short-polling transport factory. */
export const polling: TransportFactory = {
  name: 'polling',
  create: (ctx) => new PollTransport(ctx, { name: 'polling', path: 'poll', interval: ctx.pollInterval ?? defaultInterval }),
};
