import { DomainError, type Decider, type DomainEvent, type PersonalDataFields } from '../decider.js';

/**
 * A gateway key: how one client's tools and SDKs reach AI services through the ledger (the gateway), in place of
 * the provider's own key. The key itself is made outside (randomness), shown once and kept only as a hash; it may be
 * bound to a user reference (who is sending, recorded as a keyed hash) and to some of the client's AI services.
 */
/** What issuing a key records: the issue command carries exactly this. */
export interface GatewayKeyIssuedData {
  keyId: string;
  clientId: string;
  name: string;
  /** SHA-256 of the whole key, hex: a key has 256 bits of randomness, so a fast hash is enough. */
  keyHash: string;
  /** The key's first characters, shown in lists so that people can tell keys apart. */
  keyPrefix: string;
  /** The user reference the key sends as, sealed under its own subject (`userRefHash`); null when unbound. */
  userRef: string | null;
  userRefHash: string | null;
  /** The services the key may reach (each still needs the client's approval); null: every approved service. */
  aiServiceIds: string[] | null;
  /** Requests a minute this key may send; null: the configured default (GATEWAY_KEY_REQUESTS_PER_MINUTE). */
  requestsPerMinute: number | null;
  issuedBy: string;
}

export type GatewayKeyEvent =
  | DomainEvent<'GatewayKeyIssued', GatewayKeyIssuedData>
  | DomainEvent<'GatewayKeyRevoked', { keyId: string; clientId: string; revokedBy: string }>;

export type GatewayKeyCommand =
  ({ type: 'IssueGatewayKey' } & GatewayKeyIssuedData) | { type: 'RevokeGatewayKey'; revokedBy: string };

/** A gateway key's stream, under its tenant: the key names both, so that it is checked without any lookup. */
export const gatewayKeyStream = (tenantId: string, keyId: string): string => `${tenantId}/gateway-key/${keyId}`;

/** The user reference a key is bound to is personal data, sealed like the one in a violation. */
export const gatewayKeyPersonalData: Record<string, PersonalDataFields> = {
  GatewayKeyIssued: { subject: 'userRefHash', fields: ['userRef'] },
};

export interface GatewayKeyState {
  status: 'none' | 'active' | 'revoked';
  keyId?: string;
  clientId?: string;
  name?: string;
  keyHash?: string;
  userRef?: string | null;
  userRefHash?: string | null;
  aiServiceIds?: string[] | null;
  requestsPerMinute?: number | null;
}

export const gatewayKeyDecider: Decider<GatewayKeyCommand, GatewayKeyEvent, GatewayKeyState> = {
  initialState: () => ({ status: 'none' }),

  decide(command, state) {
    switch (command.type) {
      case 'IssueGatewayKey': {
        if (state.status !== 'none') throw new DomainError('conflict', 'The gateway key already exists');
        if (!command.name.trim()) throw new DomainError('invalid', 'A gateway key needs a name', 'name');
        if (command.aiServiceIds !== null && command.aiServiceIds.length === 0)
          throw new DomainError(
            'invalid',
            'Name at least one AI service, or leave aiServiceIds out for every approved service',
            'aiServiceIds',
          );
        if (command.requestsPerMinute !== null && !(command.requestsPerMinute >= 1))
          throw new DomainError('invalid', 'requestsPerMinute is at least 1', 'requestsPerMinute');
        const { type: _type, ...key } = command;
        return [
          {
            type: 'GatewayKeyIssued',
            data: {
              ...key,
              name: key.name.trim(),
              aiServiceIds: key.aiServiceIds === null ? null : [...new Set(key.aiServiceIds)],
            },
          },
        ];
      }
      case 'RevokeGatewayKey': {
        if (state.status === 'none') throw new DomainError('not_found', 'No such gateway key');
        if (state.status === 'revoked') return [];
        return [
          {
            type: 'GatewayKeyRevoked',
            data: { keyId: state.keyId!, clientId: state.clientId!, revokedBy: command.revokedBy },
          },
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'GatewayKeyIssued': {
        const { keyId, clientId, name, keyHash, userRef, userRefHash, aiServiceIds, requestsPerMinute } = event.data;
        return {
          status: 'active',
          keyId,
          clientId,
          name,
          keyHash,
          userRef,
          userRefHash,
          aiServiceIds,
          requestsPerMinute,
        };
      }
      case 'GatewayKeyRevoked':
        return { ...state, status: 'revoked' };
    }
  },
};
