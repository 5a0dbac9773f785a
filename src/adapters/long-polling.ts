// Long polling: the server holds each poll until a message is there for the client or its
// long-poll timeout passes; the next poll leaves as soon as the answer arrives. Upstream frames go
// by POST beside it. See docs/transports.md for the wire format and its costs.
import { PollTransport } from './http-poll.js';
import type { TransportFactory } from './types.js';

/** The long-polling transport factory. */
export const longPolling: TransportFactory = {
  name: 'long-polling',
  create: (ctx) => new PollTransport(ctx, { name: 'long-polling', path: 'long-poll', interval: 0 }),
};
