import type { Broker, BrokerMessage } from './brokers/types.js';
import { Outgoing } from './outgoing.js';

/** What the hub fans out to: a session subscribed to a channel. */
export interface HubMember {
  deliver(message: Outgoing): void;
}

interface Channel {
  members: Set<HubMember>;
  ready: Promise<void>;
}

/**
 * Node-local fan-out: one broker subscription per channel per process, however many clients
 * listen, and one encoding per message, however many receive it.
 */
export class Hub {
  private readonly channels = new Map<string, Channel>();
  private readonly listener = (m: BrokerMessage) => this.dispatch(m);

  constructor(private readonly broker: Broker) {}

  /** Channels with at least one local member (for health and resource checks). */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Memberships over every channel: the subscriptions served by this process (for stats). */
  get subscriptionCount(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.members.size;
    return n;
  }

  /** Resolves once the broker subscription is live; messages published after that reach `member`. */
  join(channel: string, member: HubMember): Promise<void> {
    let c = this.channels.get(channel);
    if (!c) {
      c = { members: new Set(), ready: this.broker.subscribe(channel, this.listener) };
      this.channels.set(channel, c);
      // A failed subscription is reported to the joiner; the next join tries again.
      c.ready.catch(() => {
        if (this.channels.get(channel) === c) this.channels.delete(channel);
      });
    }
    c.members.add(member);
    return c.ready;
  }

  leave(channel: string, member: HubMember): void {
    const c = this.channels.get(channel);
    if (!c || !c.members.delete(member) || c.members.size > 0) return;
    this.channels.delete(channel);
    this.broker.unsubscribe(channel, this.listener).catch(() => {});
  }

  private dispatch(m: BrokerMessage): void {
    const c = this.channels.get(m.channel);
    if (!c) return;
    const out = new Outgoing(m);
    for (const member of c.members) member.deliver(out);
  }
}
