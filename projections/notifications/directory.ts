import { primaryContact } from '../../domain/accounts/profile.js';
import { userDecider, userPersonalData, type UserEvent } from '../../domain/accounts/user.js';
import { clientDecider, clientStream, type ClientEvent } from '../../domain/clients/client.js';
import { fold } from '../../domain/decider.js';
import { webhookDecider, type WebhookEvent, type WebhookState } from '../../domain/webhooks/webhook.js';
import type { PersonalDataVault } from '../../infrastructure/crypto-shredding/personal-data.js';
import type { EventStore, RecordedEvent } from '../../infrastructure/event-store/types.js';
import { webhookStream } from '../../domain/webhooks/webhook.js';

const USER_EVENTS = [
  'UserRegistered',
  'UserInvited',
  'InvitationAccepted',
  'EmailVerified',
  'UserRoleChanged',
  'UserDeactivated',
  'UserErased',
  // An officer's primary e-mail contact is where their violation mail goes.
  'ContactAdded',
  'ContactChanged',
  'ContactDeactivated',
];
const WEBHOOK_EVENTS = ['WebhookRegistered', 'WebhookDeleted'];
/** How long a tenant's recipients are remembered: a role change reaches notifications within this time. */
const TTL_MS = 30_000;

export interface Officer {
  userId: string;
  email: string;
}

export type WebhookEntry = Required<Pick<WebhookState, 'webhookId' | 'url' | 'events' | 'clientId'>>;

/**
 * Who gets told about a client's violations, read from the event log: its compliance officers (active accounts) and
 * the tenant's webhooks. Notification volume is small, so a short cache per tenant is enough until read models exist.
 */
export class NotificationDirectory {
  private readonly cache = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    private readonly eventStore: EventStore,
    private readonly vault: PersonalDataVault,
    private readonly ttlMs = TTL_MS,
  ) {}

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value as Promise<T>;
    const value = load();
    this.cache.set(key, { at: Date.now(), value });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  private async streams(tenantId: string, types: string[]): Promise<Map<string, RecordedEvent[]>> {
    const byStream = new Map<string, RecordedEvent[]>();
    for await (const event of this.eventStore.readAll({ tenantId, types, batchSize: 1000 })) {
      const list = byStream.get(event.streamId) ?? [];
      list.push(event);
      byStream.set(event.streamId, list);
    }
    return byStream;
  }

  /** Active compliance officers of the client, with their addresses: the primary e-mail contact, else the account's. */
  officers(tenantId: string, clientId: string): Promise<Officer[]> {
    return this.cached(`officers:${tenantId}:${clientId}`, async () => {
      const officers: Officer[] = [];
      for (const events of (await this.streams(tenantId, USER_EVENTS)).values()) {
        const revealed = await Promise.all(
          events.map(
            async (e) =>
              ({
                type: e.type,
                data: userPersonalData[e.type] ? await this.vault.reveal(e.data) : e.data,
              }) as UserEvent,
          ),
        );
        const user = fold(userDecider, revealed);
        const email = primaryContact(user, 'email')?.value ?? user.email;
        if (
          user.active &&
          user.role === 'compliance_officer' &&
          user.clientId === clientId &&
          email &&
          email !== '[erased]'
        ) {
          officers.push({ userId: user.userId!, email });
        }
      }
      return officers;
    });
  }

  /** The tenant's webhooks that are not deleted. */
  webhooks(tenantId: string): Promise<WebhookEntry[]> {
    return this.cached(`webhooks:${tenantId}`, async () => {
      const webhooks: WebhookEntry[] = [];
      for (const events of (await this.streams(tenantId, WEBHOOK_EVENTS)).values()) {
        const state = fold(
          webhookDecider,
          events.map((e) => ({ type: e.type, data: e.data }) as WebhookEvent),
        );
        if (state.status === 'active')
          webhooks.push({
            webhookId: state.webhookId!,
            url: state.url!,
            events: state.events!,
            clientId: state.clientId ?? null,
          });
      }
      return webhooks;
    });
  }

  /** One webhook as it is now, with its secret revealed (never cached). */
  async webhook(tenantId: string, webhookId: string): Promise<WebhookState> {
    const events = await this.eventStore.readStream(webhookStream(tenantId, webhookId));
    const revealed = await Promise.all(
      events.map(async (e) => ({ type: e.type, data: await this.vault.reveal(e.data) }) as WebhookEvent),
    );
    return fold(webhookDecider, revealed);
  }

  clientName(tenantId: string, clientId: string): Promise<string> {
    return this.cached(`client:${tenantId}:${clientId}`, async () => {
      const events = await this.eventStore.readStream(clientStream(tenantId, clientId));
      return (
        fold(
          clientDecider,
          events.map((e) => ({ type: e.type, data: e.data }) as ClientEvent),
        ).profile?.name ?? clientId
      );
    });
  }
}
