// A client for the React hook tests: the members the hooks use, with every subscription's
// confirmation, failure, messages and presence driven by the test.
import { Emitter } from '../../src/core/emitter.js';
import type { ClientEvents } from '../../src/core/client.js';
import type { MessageHandler, MessageMeta, Subscription, SubscriptionEvents } from '../../src/core/subscription.js';
import type { AnywireClient, ClientState, PresenceMember, TransportName } from '../../src/react/index.js';

type FakeSubEvents = SubscriptionEvents & {
  join: (ctx: { member: PresenceMember }) => void;
  leave: (ctx: { member: PresenceMember }) => void;
};

export class FakeSubscription extends Emitter<FakeSubEvents> {
  state: Subscription['state'] = 'subscribing';
  offset = 0;
  /** Pending `presence()` calls, answered by the test. */
  readonly presenceCalls: { resolve: (m: PresenceMember[]) => void; reject: (e: Error) => void }[] = [];

  constructor(
    readonly channel: string,
    readonly handler: MessageHandler<unknown> | undefined,
    readonly options: unknown,
    private readonly client: FakeClient,
  ) {
    super();
  }

  unsubscribe(): void {
    if (this.state === 'unsubscribed') return;
    this.state = 'unsubscribed';
    this.client.unsubscribed.push(this);
  }

  presence(): Promise<PresenceMember[]> {
    return new Promise((resolve, reject) => this.presenceCalls.push({ resolve, reject }));
  }

  // ---- driven by the test -------------------------------------------------------------------
  confirm(resumed = false): void {
    if (this.state === 'unsubscribed') return;
    this.state = 'subscribed';
    this.emit('subscribed', { channel: this.channel, resumed });
  }

  fail(err: Error): void {
    if (this.state === 'unsubscribed') return;
    this.state = 'unsubscribed';
    this.emit('error', err as never);
  }

  deliver(data: unknown): void {
    if (this.state === 'unsubscribed') return;
    const meta: MessageMeta = { channel: this.channel, offset: ++this.offset };
    this.handler?.(data, meta);
  }
}

export class FakeClient extends Emitter<ClientEvents> {
  state: ClientState = 'connected';
  transport: TransportName | null = 'websocket';
  readonly subscriptions: FakeSubscription[] = [];
  readonly unsubscribed: FakeSubscription[] = [];
  readonly published: { channel: string; data: unknown }[] = [];

  subscribe(channel: string, handler?: MessageHandler<unknown>, options?: unknown): FakeSubscription {
    const sub = new FakeSubscription(channel, handler, options, this);
    this.subscriptions.push(sub);
    return sub;
  }

  publish(channel: string, data: unknown): Promise<{ offset: number }> {
    this.published.push({ channel, data });
    return Promise.resolve({ offset: this.published.length });
  }

  /** Live subscriptions. */
  get active(): FakeSubscription[] {
    return this.subscriptions.filter((s) => s.state !== 'unsubscribed');
  }

  setState(state: ClientState, transport: TransportName | null = this.transport): void {
    const previous = this.state;
    this.state = state;
    this.emit('state', { state, previous });
    if (transport !== this.transport) {
      const prev = this.transport;
      this.transport = transport;
      this.emit('transport', { transport, previous: prev });
    }
  }

  /** As the hooks see it. */
  get asClient(): AnywireClient {
    return this as unknown as AnywireClient;
  }
}
