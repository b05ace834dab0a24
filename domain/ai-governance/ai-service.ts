import { DomainError, type Decider, type DomainEvent } from '../decider.js';

/** An AI service in the MSP's registry: who runs it, and what the contracts with them cover. */
export interface AiServiceProfile {
  name: string;
  vendor: string;
  models: string[];
  /** A HIPAA business associate agreement is signed with the vendor. */
  baaSigned: boolean;
  /** A GDPR data processing agreement is signed with the vendor. */
  dpaSigned: boolean;
  dataRetentionDays: number;
}

export type AiServiceEvent = DomainEvent<'AiServiceRegistered', AiServiceProfile & { aiServiceId: string }>;
export type AiServiceCommand = { type: 'RegisterAiService'; aiServiceId: string } & AiServiceProfile;
export interface AiServiceState {
  exists: boolean;
  profile?: AiServiceProfile;
}

export const aiServiceDecider: Decider<AiServiceCommand, AiServiceEvent, AiServiceState> = {
  initialState: () => ({ exists: false }),
  decide(command, state) {
    if (state.exists) throw new DomainError('conflict', 'The AI service already exists');
    if (!command.name.trim()) throw new DomainError('invalid', 'An AI service needs a name', 'name');
    if (command.dataRetentionDays < 0)
      throw new DomainError('invalid', 'Retention cannot be negative', 'dataRetentionDays');
    const { type: _type, ...service } = command;
    return [
      {
        type: 'AiServiceRegistered',
        data: { ...service, name: service.name.trim(), models: [...new Set(service.models)] },
      },
    ];
  },
  evolve: (_state, event) => {
    const { aiServiceId: _id, ...profile } = event.data;
    return { exists: true, profile };
  },
};
