import type { FrameworkId } from '../frameworks/catalog.js';
import { DomainError, type Decider, type DomainEvent } from '../decider.js';

/** A client company that an MSP manages. Archived clients keep their history and accept no more changes. */
export const CLIENT_SIZES = ['1-10', '11-50', '51-200', '201-1000', '1000+'] as const;
export type ClientSize = (typeof CLIENT_SIZES)[number];

export interface ClientProfile {
  name: string;
  industry: string;
  size: ClientSize;
  /** The frameworks the client is held to (absent in events older than the field: none). */
  frameworks?: FrameworkId[];
}

export type ClientEvent =
  | DomainEvent<'ClientRegistered', ClientProfile & { clientId: string }>
  | DomainEvent<'ClientUpdated', Partial<ClientProfile>>
  | DomainEvent<'ClientArchived', { reason: string | null }>;

export type ClientCommand =
  | ({ type: 'RegisterClient'; clientId: string } & ClientProfile)
  | ({ type: 'UpdateClient' } & Partial<ClientProfile>)
  | { type: 'ArchiveClient'; reason: string | null };

export const CLIENT_STATUSES = ['active', 'archived'] as const;

/** A client's stream. It begins with the tenant: an id from another tenant names a stream that does not exist. */
export const clientStream = (tenantId: string, clientId: string): string => `${tenantId}/client/${clientId}`;

export interface ClientState {
  status: 'none' | (typeof CLIENT_STATUSES)[number];
  profile?: ClientProfile;
}

function checkName(name: string | undefined): void {
  if (name !== undefined && !name.trim()) throw new DomainError('invalid', 'A client needs a name', 'name');
}

export const clientDecider: Decider<ClientCommand, ClientEvent, ClientState> = {
  initialState: () => ({ status: 'none' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterClient': {
        if (state.status !== 'none') throw new DomainError('conflict', 'The client already exists');
        checkName(command.name);
        const { type: _type, ...client } = command;
        return [
          {
            type: 'ClientRegistered',
            data: { ...client, name: client.name.trim(), frameworks: [...new Set(client.frameworks ?? [])].sort() },
          },
        ];
      }
      case 'UpdateClient': {
        if (state.status === 'none') throw new DomainError('not_found', 'No such client');
        if (state.status === 'archived') throw new DomainError('gone', 'The client is archived');
        checkName(command.name);
        const changes: Partial<ClientProfile> = {};
        for (const key of ['name', 'industry', 'size'] as const) {
          const value = command[key];
          if (value !== undefined && value !== state.profile?.[key])
            Object.assign(changes, { [key]: key === 'name' ? value.trim() : value });
        }
        if (command.frameworks !== undefined) {
          const frameworks = [...new Set(command.frameworks)].sort();
          if (frameworks.join() !== [...(state.profile?.frameworks ?? [])].sort().join())
            changes.frameworks = frameworks;
        }
        return Object.keys(changes).length > 0 ? [{ type: 'ClientUpdated', data: changes }] : [];
      }
      case 'ArchiveClient': {
        if (state.status === 'none') throw new DomainError('not_found', 'No such client');
        if (state.status === 'archived') return [];
        return [{ type: 'ClientArchived', data: { reason: command.reason } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ClientRegistered': {
        const { clientId: _id, ...profile } = event.data;
        return { status: 'active', profile };
      }
      case 'ClientUpdated':
        return { ...state, profile: { ...state.profile!, ...event.data } };
      case 'ClientArchived':
        return { ...state, status: 'archived' };
    }
  },
};
