import { z } from 'zod';
import { DomainError, type Decider, type DomainEvent, type PersonalDataFields } from '../decider.js';

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

/** What an update changed: only the fields whose value is new. */
export type AiServiceChanges = Partial<AiServiceProfile>;

/**
 * Where the gateway sends a service's traffic: an OpenAI-compatible base URL, the provider's API key (sealed under a
 * subject of the service's own: never returned, never logged) and how long to wait for an answer. The models it
 * serves are the profile's `models`.
 */
export interface ProviderSettings {
  baseUrl: string;
  apiKey: string | null;
  timeoutMs: number;
}

export type AiServiceEvent =
  | DomainEvent<'AiServiceRegistered', AiServiceProfile & { aiServiceId: string }>
  | DomainEvent<'AiServiceUpdated', { aiServiceId: string; changes: AiServiceChanges; updatedBy: string }>
  | DomainEvent<
      'AiServiceProviderSet',
      ProviderSettings & { aiServiceId: string; apiKeySubject: string; setBy: string }
    >;
export type AiServiceCommand =
  | ({
      type: 'RegisterAiService';
      aiServiceId: string;
      /** Where its traffic goes through the gateway, set in the same step (AiServiceProviderSet). */
      provider?: ProviderChoice & { setBy: string };
    } & AiServiceProfile)
  | { type: 'UpdateAiService'; changes: AiServiceChanges; updatedBy: string }
  | ({ type: 'SetAiServiceProvider'; setBy: string } & ProviderChoice);

/** Provider settings as a registry keeper gives them. */
export interface ProviderChoice {
  baseUrl: string;
  /** Absent: keep the key set before; null: send none. */
  apiKey?: string | null;
  /** Absent: keep the one set before (DEFAULT_PROVIDER_TIMEOUT_MS at first). */
  timeoutMs?: number;
}

/** The AiServiceProviderSet for a choice, given what was set before: absent fields keep their earlier values. */
function providerSet(
  aiServiceId: string,
  before: ProviderSettings | undefined,
  choice: ProviderChoice & { setBy: string },
): AiServiceEvent {
  const timeoutMs = choice.timeoutMs ?? before?.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  if (!(timeoutMs >= 1000)) throw new DomainError('invalid', 'timeoutMs is at least 1000', 'timeoutMs');
  return {
    type: 'AiServiceProviderSet',
    data: {
      baseUrl: choice.baseUrl,
      apiKey: choice.apiKey === undefined ? (before?.apiKey ?? null) : choice.apiKey,
      timeoutMs,
      aiServiceId,
      apiKeySubject: providerKeySubject(aiServiceId),
      setBy: choice.setBy,
    },
  };
}

/** The provider's API key is sealed under the service's own subject key. */
export const aiServicePersonalData: Record<string, PersonalDataFields> = {
  AiServiceProviderSet: { subject: 'apiKeySubject', fields: ['apiKey'] },
};
export const DEFAULT_PROVIDER_TIMEOUT_MS = 60_000;
export const providerKeySubject = (aiServiceId: string): string => `ai-service-provider:${aiServiceId}`;

/** A registry entry's stream, under its tenant. */
export const aiServiceStream = (tenantId: string, aiServiceId: string): string =>
  `${tenantId}/ai-service/${aiServiceId}`;

export interface AiServiceState {
  exists: boolean;
  aiServiceId?: string;
  profile?: AiServiceProfile;
  provider?: ProviderSettings;
}

function checkProfile(profile: AiServiceChanges): void {
  if (profile.name !== undefined && !profile.name.trim())
    throw new DomainError('invalid', 'An AI service needs a name', 'name');
  if (profile.vendor !== undefined && !profile.vendor.trim())
    throw new DomainError('invalid', 'An AI service needs a vendor', 'vendor');
  if (profile.dataRetentionDays !== undefined && profile.dataRetentionDays < 0)
    throw new DomainError('invalid', 'Retention cannot be negative', 'dataRetentionDays');
}

const tidy = <T extends AiServiceChanges>(profile: T): T => ({
  ...profile,
  ...(profile.name !== undefined ? { name: profile.name.trim() } : {}),
  ...(profile.vendor !== undefined ? { vendor: profile.vendor.trim() } : {}),
  ...(profile.models !== undefined ? { models: [...new Set(profile.models)] } : {}),
});

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export const aiServiceDecider: Decider<AiServiceCommand, AiServiceEvent, AiServiceState> = {
  initialState: () => ({ exists: false }),
  decide(command, state) {
    switch (command.type) {
      case 'RegisterAiService': {
        if (state.exists) throw new DomainError('conflict', 'The AI service already exists');
        checkProfile(command);
        const { type: _type, provider, ...service } = command;
        const registered: AiServiceEvent = { type: 'AiServiceRegistered', data: tidy(service) };
        if (!provider) return [registered];
        return [registered, providerSet(command.aiServiceId, undefined, provider)];
      }
      case 'UpdateAiService': {
        if (!state.exists || !state.profile) throw new DomainError('not_found', 'No such AI service');
        checkProfile(command.changes);
        const wanted = tidy(command.changes);
        const changes: AiServiceChanges = {};
        for (const key of Object.keys(wanted) as Array<keyof AiServiceProfile>) {
          if (wanted[key] !== undefined && !same(wanted[key], state.profile[key]))
            (changes as Record<string, unknown>)[key] = wanted[key];
        }
        if (Object.keys(changes).length === 0) return [];
        return [
          {
            type: 'AiServiceUpdated',
            data: { aiServiceId: state.aiServiceId!, changes, updatedBy: command.updatedBy },
          },
        ];
      }
      case 'SetAiServiceProvider': {
        if (!state.exists) throw new DomainError('not_found', 'No such AI service');
        const { type: _type, ...settings } = command;
        return [providerSet(state.aiServiceId!, state.provider, settings)];
      }
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'AiServiceRegistered': {
        const { aiServiceId, ...profile } = event.data;
        return { exists: true, aiServiceId, profile };
      }
      case 'AiServiceUpdated':
        return { ...state, profile: { ...state.profile!, ...event.data.changes } };
      case 'AiServiceProviderSet': {
        const { baseUrl, apiKey, timeoutMs } = event.data;
        return { ...state, provider: { baseUrl, apiKey, timeoutMs } };
      }
    }
  },
};
