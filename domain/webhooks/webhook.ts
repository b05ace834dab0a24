import { DomainError, type Decider, type DomainEvent, type PersonalDataFields } from '../decider.js';

/**
 * A webhook: where an integrator wants violations POSTed, for which kinds, and for which client (or all of the
 * MSP's). Its signing secret is made outside (randomness) and shown once; the event holds it sealed under a key of
 * the webhook's own, which deleting the webhook destroys.
 */
export const WEBHOOK_EVENTS = [
  'violation.*',
  'violation.sensitive-data',
  'violation.unapproved-ai-service',
  'violation.evidence-expired',
  // What happens to violations after they are raised ('violation.*' gets these too).
  'violation.acknowledged',
  'violation.assigned',
  'violation.resolved',
  'violation.reopened',
  'violation.commented',
] as const;
export type WebhookEventKind = (typeof WEBHOOK_EVENTS)[number];

export type WebhookEvent =
  | DomainEvent<
      'WebhookRegistered',
      {
        webhookId: string;
        url: string;
        events: WebhookEventKind[];
        clientId: string | null;
        secret: string;
        secretSubject: string;
        createdBy: string;
      }
    >
  | DomainEvent<'WebhookDeleted', { webhookId: string; deletedBy: string }>;

export type WebhookCommand =
  | {
      type: 'RegisterWebhook';
      webhookId: string;
      url: string;
      events: WebhookEventKind[];
      clientId: string | null;
      secret: string;
      createdBy: string;
    }
  | { type: 'DeleteWebhook'; deletedBy: string };

/** A webhook's stream, under its tenant. */
export const webhookStream = (tenantId: string, webhookId: string): string => `${tenantId}/webhook/${webhookId}`;

export interface WebhookState {
  status: 'none' | 'active' | 'deleted';
  webhookId?: string;
  url?: string;
  events?: WebhookEventKind[];
  clientId?: string | null;
  secret?: string;
}

/** The secret is sealed under the webhook's own subject key. */
export const webhookPersonalData: Record<string, PersonalDataFields> = {
  WebhookRegistered: { subject: 'secretSubject', fields: ['secret'] },
};

export const webhookSecretSubject = (webhookId: string): string => `webhook:${webhookId}`;

/** Whether a webhook wants a violation of this kind (or this change of a violation: 'resolved') for this client. */
export function wants(webhook: Pick<WebhookState, 'events' | 'clientId'>, kind: string, clientId: string): boolean {
  const kindWanted = (webhook.events ?? []).some((event) => event === 'violation.*' || event === `violation.${kind}`);
  return kindWanted && (webhook.clientId == null || webhook.clientId === clientId);
}

export const webhookDecider: Decider<WebhookCommand, WebhookEvent, WebhookState> = {
  initialState: () => ({ status: 'none' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterWebhook': {
        if (state.status !== 'none') throw new DomainError('conflict', 'The webhook already exists');
        if (command.events.length === 0) throw new DomainError('invalid', 'Name at least one kind of event', 'events');
        const { type: _type, ...webhook } = command;
        return [
          {
            type: 'WebhookRegistered',
            data: {
              ...webhook,
              events: [...new Set(webhook.events)],
              secretSubject: webhookSecretSubject(command.webhookId),
            },
          },
        ];
      }
      case 'DeleteWebhook': {
        if (state.status === 'none') throw new DomainError('not_found', 'No such webhook');
        if (state.status === 'deleted') return [];
        return [{ type: 'WebhookDeleted', data: { webhookId: state.webhookId!, deletedBy: command.deletedBy } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'WebhookRegistered': {
        const { webhookId, url, events, clientId, secret } = event.data;
        return { status: 'active', webhookId, url, events, clientId, secret };
      }
      case 'WebhookDeleted':
        return { ...state, status: 'deleted', secret: undefined };
    }
  },
};
