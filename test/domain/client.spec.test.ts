import { describe, it } from 'vitest';
import { clientDecider, type ClientEvent } from '../../domain/clients/client.js';
import { given } from '../support/decider-spec.js';

const registered: ClientEvent = {
  type: 'ClientRegistered',
  data: { clientId: 'c-1', name: 'Acme Clinic', industry: 'healthcare', size: '11-50', frameworks: [] },
};
// Registered before clients named their frameworks: the field is absent.
const registeredLongAgo: ClientEvent = {
  type: 'ClientRegistered',
  data: { clientId: 'c-1', name: 'Acme Clinic', industry: 'healthcare', size: '11-50' },
};

describe('client', () => {
  it('is registered with a trimmed name', () => {
    given(clientDecider)
      .when({ type: 'RegisterClient', clientId: 'c-1', name: '  Acme Clinic ', industry: 'healthcare', size: '11-50' })
      .then([registered]);
  });

  it('names the frameworks it is held to, each once', () => {
    given(clientDecider)
      .when({
        type: 'RegisterClient',
        clientId: 'c-1',
        name: 'Acme Clinic',
        industry: 'healthcare',
        size: '11-50',
        frameworks: ['hipaa', 'gdpr', 'hipaa'],
      })
      .then([
        {
          type: 'ClientRegistered',
          data: { ...registered.data, frameworks: ['gdpr', 'hipaa'] } as ClientEvent['data'],
        } as ClientEvent,
      ]);
  });

  it('changes its frameworks only when they differ, in any order', () => {
    given(clientDecider, [registeredLongAgo])
      .when({ type: 'UpdateClient', frameworks: ['hipaa'] })
      .then([{ type: 'ClientUpdated', data: { frameworks: ['hipaa'] } }]);
    given(clientDecider, [registeredLongAgo, { type: 'ClientUpdated', data: { frameworks: ['gdpr', 'hipaa'] } }])
      .when({ type: 'UpdateClient', frameworks: ['hipaa', 'gdpr'] })
      .then([]);
  });

  it('needs a name', () => {
    given(clientDecider)
      .when({ type: 'RegisterClient', clientId: 'c-1', name: '  ', industry: 'x', size: '1-10' })
      .thenFails('invalid', 'name');
  });

  it('is registered once', () => {
    given(clientDecider, [registered])
      .when({ type: 'RegisterClient', clientId: 'c-1', name: 'Again', industry: 'x', size: '1-10' })
      .thenFails('conflict');
  });

  it('records only what an update changes', () => {
    given(clientDecider, [registered])
      .when({ type: 'UpdateClient', name: 'Acme Clinic', industry: 'dental', size: '11-50' })
      .then([{ type: 'ClientUpdated', data: { industry: 'dental' } }]);
    given(clientDecider, [registered]).when({ type: 'UpdateClient', name: 'Acme Clinic' }).then([]);
  });

  it('cannot be updated before it exists or after it is archived', () => {
    given(clientDecider).when({ type: 'UpdateClient', name: 'X' }).thenFails('not_found');
    given(clientDecider, [registered, { type: 'ClientArchived', data: { reason: null } }])
      .when({ type: 'UpdateClient', name: 'X' })
      .thenFails('gone');
  });

  it('is archived once; archiving again changes nothing', () => {
    given(clientDecider, [registered])
      .when({ type: 'ArchiveClient', reason: 'contract ended' })
      .then([{ type: 'ClientArchived', data: { reason: 'contract ended' } }]);
    given(clientDecider, [registered, { type: 'ClientArchived', data: { reason: null } }])
      .when({ type: 'ArchiveClient', reason: null })
      .then([]);
  });
});
