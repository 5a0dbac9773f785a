// Counters for operators: `server.stats()` and `server.metrics()` (Prometheus text exposition).
// Counting is plain integer increments on objects made once per server, so it costs the hot path
// nothing measurable; everything that is a gauge (connections, channels, subscriptions, broker
// health) is computed when someone asks, not maintained per message. The exposition format is a
// few lines of our own rather than prom-client: see docs/operations.md for why.
import type { TransportName } from '../../adapters/types.js';

/** The shape of `server.stats()` (see the contract's "Health and metrics"). */
export interface ServerStats {
  /** Connections now, per transport (HTTP transports: sessions heard from within two heartbeats). */
  connections: Record<TransportName, number>;
  /** Channels with at least one subscriber in this process. */
  channels: number;
  /** Subscriptions of clients to channels in this process. */
  subscriptions: number;
  /** Publishes accepted (stored by the broker), from clients and `server.publish()`. */
  messagesIn: number;
  /** Messages written to clients (live and replayed from history). */
  messagesOut: number;
  /** Refusals and connection ends sent to clients, by code. */
  refused: Record<string, number>;
  broker: 'up' | 'down';
}

/** Where a publish came from: a client's transport, or the backend's `server.publish()`. */
export type PublishSource = TransportName | 'server';

const transports: readonly TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];
const sources: readonly PublishSource[] = [...transports, 'server'];
/** HTTP sessions tracked for the connection gauge; the oldest are forgotten beyond this. */
const maxRecent = 100_000;

const zeroes = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** One per server. Fields are public so a hook is one increment; read them through `snapshot`. */
export class Metrics {
  /** Publishes accepted, per source. */
  readonly in: Record<PublishSource, number> = zeroes(sources);
  /** Messages written to clients. */
  out = 0;
  /** Connections that completed the handshake, per transport (a counter, not a gauge). */
  readonly opened: Record<TransportName, number> = zeroes(transports);
  readonly refused: Record<string, number> = Object.create(null) as Record<string, number>;
  /** Request/response HTTP sessions (long polling, polling) by id, with when each was last heard from. */
  private readonly recent = new Map<string, { transport: TransportName; seen: number }>();

  /** `window`: ms after which a silent HTTP session no longer counts as connected. */
  constructor(private readonly window: number) {}

  refuse(code: string): void {
    this.refused[code] = (this.refused[code] ?? 0) + 1;
  }

  /** A long-polling or polling request of session `id` arrived. */
  heard(id: string, transport: TransportName): void {
    const r = this.recent;
    const hit = r.get(id);
    // Re-inserted so the Map's order is recency order: pruning takes from the front.
    if (hit) r.delete(id);
    r.set(id, { transport, seen: Date.now() });
    if (r.size > maxRecent) r.delete(r.keys().next().value!);
  }

  /** The transport a long-polling or polling session was last heard on. */
  transportOf(id: string): TransportName | undefined {
    return this.recent.get(id)?.transport;
  }

  /** A long-polling or polling session said goodbye. */
  forget(id: string): void {
    this.recent.delete(id);
  }

  /** The HTTP request/response sessions heard from within the window, per transport. */
  private recentCounts(): Record<TransportName, number> {
    const counts = zeroes(transports);
    const cutoff = Date.now() - this.window;
    for (const [id, e] of this.recent) {
      if (e.seen >= cutoff) {
        counts[e.transport]++;
        continue;
      }
      this.recent.delete(id); // recency order: everything before the first live one is stale
    }
    return counts;
  }

  /** `live`: the transports of the live connections (WebSocket, SSE). */
  snapshot(
    live: Iterable<{ transport: TransportName }>,
    gauges: { channels: number; subscriptions: number; brokerUp: boolean },
  ): ServerStats {
    const connections = this.recentCounts();
    for (const s of live) connections[s.transport]++;
    let messagesIn = 0;
    for (const s of sources) messagesIn += this.in[s];
    return {
      connections,
      channels: gauges.channels,
      subscriptions: gauges.subscriptions,
      messagesIn,
      messagesOut: this.out,
      refused: { ...this.refused },
      broker: gauges.brokerUp ? 'up' : 'down',
    };
  }

  /** Prometheus text exposition (format 0.0.4) of `stats` and the counters behind it. */
  exposition(stats: ServerStats): string {
    const out: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge', help: string, samples: [labels: string, value: number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    const byTransport = (values: Record<string, number>, keys: readonly string[]) =>
      keys.map((t): [string, number] => [`{transport="${t}"}`, values[t] ?? 0]);
    family(
      'anywire_connections',
      'gauge',
      'Connections now (long-polling and polling: sessions heard from within two heartbeats).',
      byTransport(stats.connections, transports),
    );
    family('anywire_connections_total', 'counter', 'Connections that completed the handshake.', byTransport(this.opened, transports));
    family('anywire_channels', 'gauge', 'Channels with at least one subscriber in this process.', [['', stats.channels]]);
    family('anywire_subscriptions', 'gauge', 'Client subscriptions in this process.', [['', stats.subscriptions]]);
    family(
      'anywire_messages_in_total',
      'counter',
      'Publishes accepted, by source (a transport, or "server" for server.publish).',
      byTransport(this.in, sources),
    );
    family('anywire_messages_out_total', 'counter', 'Messages written to clients, live and replayed.', [['', stats.messagesOut]]);
    family(
      'anywire_refused_total',
      'counter',
      'Refusals and connection ends sent to clients, by error code.',
      Object.keys(stats.refused)
        .sort()
        .map((code): [string, number] => [`{code="${escapeLabel(code)}"}`, stats.refused[code]!]),
    );
    family('anywire_broker_up', 'gauge', '1 while the broker is reachable, else 0.', [['', stats.broker === 'up' ? 1 : 0]]);
    return out.join('\n') + '\n';
  }
}

/** A label value as the exposition format wants it: backslash, quote and newline escaped. */
function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}
