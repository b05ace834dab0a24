import { describe, expect, it } from 'vitest';
import { wants, webhookDecider, type WebhookEvent } from '../../domain/webhooks/webhook.js';
import { given } from '../support/decider-spec.js';

const registered: WebhookEvent = {
  type: 'WebhookRegistered',
  data: {
    webhookId: 'w-1',
    url: 'https://hooks.example.com/x',
    events: ['violation.sensitive-data'],
    clientId: null,
    secret: 'whsec_x',
    secretSubject: 'webhook:w-1',
    createdBy: 'u-1',
  },
};

describe('webhook', () => {
  it('is registered for at least one kind of event, each once', () => {
    given(webhookDecider)
      .when({
        type: 'RegisterWebhook',
        webhookId: 'w-1',
        url: 'https://hooks.example.com/x',
        events: ['violation.sensitive-data', 'violation.sensitive-data'],
        clientId: null,
        secret: 'whsec_x',
        createdBy: 'u-1',
      })
      .then([registered]);
    given(webhookDecider)
      .when({
        type: 'RegisterWebhook',
        webhookId: 'w-1',
        url: 'https://x.example.com',
        events: [],
        clientId: null,
        secret: 's',
        createdBy: 'u',
      })
      .thenFails('invalid', 'events');
    given(webhookDecider, [registered])
      .when({
        type: 'RegisterWebhook',
        webhookId: 'w-1',
        url: 'https://x.example.com',
        events: ['violation.*'],
        clientId: null,
        secret: 's',
        createdBy: 'u',
      })
      .thenFails('conflict');
  });

  it('is deleted once; deleting again changes nothing; an unknown one is not found', () => {
    given(webhookDecider, [registered])
      .when({ type: 'DeleteWebhook', deletedBy: 'u-2' })
      .then([{ type: 'WebhookDeleted', data: { webhookId: 'w-1', deletedBy: 'u-2' } }]);
    given(webhookDecider, [registered, { type: 'WebhookDeleted', data: { webhookId: 'w-1', deletedBy: 'u-2' } }])
      .when({ type: 'DeleteWebhook', deletedBy: 'u-2' })
      .then([]);
    given(webhookDecider).when({ type: 'DeleteWebhook', deletedBy: 'u' }).thenFails('not_found');
  });

  it('wants the kinds it names, for its client or for every client', () => {
    expect(wants({ events: ['violation.*'], clientId: null }, 'unapproved-ai-service', 'c-1')).toBe(true);
    expect(wants({ events: ['violation.sensitive-data'], clientId: null }, 'unapproved-ai-service', 'c-1')).toBe(false);
    expect(wants({ events: ['violation.sensitive-data'], clientId: 'c-2' }, 'sensitive-data', 'c-1')).toBe(false);
    expect(wants({ events: ['violation.sensitive-data'], clientId: 'c-1' }, 'sensitive-data', 'c-1')).toBe(true);
  });

  it("wants the workflow's steps it names, and 'violation.*' wants them all", () => {
    expect(wants({ events: ['violation.resolved'], clientId: null }, 'resolved', 'c-1')).toBe(true);
    expect(wants({ events: ['violation.resolved'], clientId: null }, 'acknowledged', 'c-1')).toBe(false);
    expect(wants({ events: ['violation.sensitive-data'], clientId: null }, 'resolved', 'c-1')).toBe(false);
    expect(wants({ events: ['violation.*'], clientId: null }, 'commented', 'c-1')).toBe(true);
  });
});
