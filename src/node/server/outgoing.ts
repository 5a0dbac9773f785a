import { toBase64 } from '../../core/base64.js';
import type { BrokerMessage } from './brokers/types.js';
import { isPresenceEvent, readPresencePayload } from './presence-event.js';

/** A stored presence event as a `msg` frame with `p` (see presence-event.ts). */
function presenceText(head: string, payload: string): string {
  const e = readPresencePayload(payload);
  return head + ',"p":"' + e.kind + '","d":' + e.json + '}';
}

/**
 * A broadcast message, encoded once. Every subscriber's sink writes the same string (or bytes),
 * so a fan-out to N clients costs one JSON encoding, not N.
 */
export class Outgoing {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly binary: boolean;
  private readonly payload: BrokerMessage['payload'];
  private textCache: string | undefined;
  private bytesCache: Buffer | undefined;

  constructor(message: BrokerMessage) {
    this.channel = message.channel;
    this.epoch = message.epoch;
    this.offset = message.offset;
    this.payload = message.payload;
    this.binary = typeof message.payload !== 'string';
  }

  /** The `msg` frame as JSON text; binary data inlined as base64. */
  get text(): string {
    if (this.textCache === undefined) {
      const head = '{"t":"msg","ch":' + JSON.stringify(this.channel) + ',"o":' + this.offset;
      this.textCache =
        typeof this.payload !== 'string'
          ? head + ',"b":"' + toBase64(this.payload) + '"}'
          : isPresenceEvent(this.payload)
            ? presenceText(head, this.payload)
            : head + ',"d":' + this.payload + '}';
    }
    return this.textCache;
  }

  /** The `msg` frame in WebSocket binary form (header, "\n", bytes); only for binary payloads. */
  get bytes(): Buffer {
    if (this.bytesCache === undefined) {
      const head = '{"t":"msg","ch":' + JSON.stringify(this.channel) + ',"o":' + this.offset + '}\n';
      const data = typeof this.payload === 'string' ? Buffer.from(this.payload) : this.payload;
      this.bytesCache = Buffer.concat([Buffer.from(head), data]);
    }
    return this.bytesCache;
  }
}

/** Where a session writes: one per WebSocket, SSE stream or HTTP response. */
export interface Sink {
  /** A frame the server built for this client alone (ack, err, subd, pong). */
  frame(frame: object): void;
  /** A broadcast message, already encoded. */
  message(message: Outgoing): void;
  /** A keep-alive (a ping frame, or an SSE comment). */
  heartbeat(): void;
  /** Ends the connection, telling the client why; `retryAfter` hints when to reconnect. */
  close(code: string, message: string, retryAfter?: number): void;
}
