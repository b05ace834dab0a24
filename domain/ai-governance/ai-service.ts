import { z } from 'zod';
import { DomainError, type Decider, type DomainEvent } from '../decider.js';

/**
 * An AI service in the MSP's registry: who runs it, and what the contracts with them cover. One schema, with the limits
 * an entry is held to: what registering takes, and what the API shows of an entry.
 */
export const AiServiceProfile = z.object({
  name: z.string().min(1).max(200),
  vendor: z.string().min(1).max(200),
  models: z.array(z.string().min(1).max(100)).max(50),
  baaSigned: z.boolean().describe('A HIPAA business associate agreement is signed with the vendor'),
  dpaSigned: z.boolean().describe('A GDPR data processing agreement is signed with the vendor'),
  dataRetentionDays: z.int().min(0).max(36500),
});
export type AiServiceProfile = z.output<typeof AiServiceProfile>;

export type AiServiceEvent = DomainEvent<'AiServiceRegistered', AiServiceProfile & { aiServiceId: string }>;
export type AiServiceCommand = { type: 'RegisterAiService'; aiServiceId: string } & AiServiceProfile;

/** A registry entry's stream, under its tenant. */
export const aiServiceStream = (tenantId: string, aiServiceId: string): string =>
  `${tenantId}/ai-service/${aiServiceId}`;

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
