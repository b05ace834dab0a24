import { describe, it } from 'vitest';
import { gatewayKeyDecider, type GatewayKeyCommand, type GatewayKeyEvent } from '../../domain/gateway/gateway-key.js';
import { given } from '../support/decider-spec.js';

const issue: Extract<GatewayKeyCommand, { type: 'IssueGatewayKey' }> = {
  type: 'IssueGatewayKey',
  keyId: 'k-1',
  clientId: 'c-1',
  name: '  Help desk bot ',
  keyHash: 'a'.repeat(64),
  keyPrefix: 'clk_0123abcd…wxyz',
  userRef: 'emp-42',
  userRefHash: 'h-42',
  aiServiceIds: ['s-1', 's-2', 's-1'],
  requestsPerMinute: 60,
  issuedBy: 'u-1',
};

const issued: GatewayKeyEvent = {
  type: 'GatewayKeyIssued',
  data: {
    keyId: 'k-1',
    clientId: 'c-1',
    name: 'Help desk bot',
    keyHash: 'a'.repeat(64),
    keyPrefix: 'clk_0123abcd…wxyz',
    userRef: 'emp-42',
    userRefHash: 'h-42',
    aiServiceIds: ['s-1', 's-2'],
    requestsPerMinute: 60,
    issuedBy: 'u-1',
  },
};

const revoked: GatewayKeyEvent = {
  type: 'GatewayKeyRevoked',
  data: { keyId: 'k-1', clientId: 'c-1', revokedBy: 'u-2' },
};

describe('gateway key', () => {
  it('is issued with its name trimmed and each service once', () => {
    given(gatewayKeyDecider).when(issue).then([issued]);
  });

  it('is issued unbound: to no user and every approved service, at the default rate', () => {
    given(gatewayKeyDecider)
      .when({ ...issue, userRef: null, userRefHash: null, aiServiceIds: null, requestsPerMinute: null })
      .then([
        {
          type: 'GatewayKeyIssued',
          data: { ...issued.data, userRef: null, userRefHash: null, aiServiceIds: null, requestsPerMinute: null },
        },
      ]);
  });

  it('needs a name, at least one service when bound to services, and a rate of at least 1', () => {
    given(gatewayKeyDecider)
      .when({ ...issue, name: '   ' })
      .thenFails('invalid', 'name');
    given(gatewayKeyDecider)
      .when({ ...issue, aiServiceIds: [] })
      .thenFails('invalid', 'aiServiceIds');
    given(gatewayKeyDecider)
      .when({ ...issue, requestsPerMinute: 0 })
      .thenFails('invalid', 'requestsPerMinute');
  });

  it('is issued once', () => {
    given(gatewayKeyDecider, [issued]).when(issue).thenFails('conflict');
    given(gatewayKeyDecider, [issued, revoked]).when(issue).thenFails('conflict');
  });

  it('is revoked, and revoking it again records nothing', () => {
    given(gatewayKeyDecider, [issued]).when({ type: 'RevokeGatewayKey', revokedBy: 'u-2' }).then([revoked]);
    given(gatewayKeyDecider, [issued, revoked]).when({ type: 'RevokeGatewayKey', revokedBy: 'u-3' }).then([]);
  });

  it('cannot be revoked before it exists', () => {
    given(gatewayKeyDecider).when({ type: 'RevokeGatewayKey', revokedBy: 'u-2' }).thenFails('not_found');
  });
});
