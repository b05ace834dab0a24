import { describe, it } from 'vitest';
import { aiServiceDecider, type AiServiceEvent } from '../../domain/ai-governance/ai-service.js';
import { clientAiDecider, type GatewaySettings } from '../../domain/ai-governance/client-ai-governance.js';
import { given } from '../support/decider-spec.js';

const registered: AiServiceEvent = {
  type: 'AiServiceRegistered',
  data: {
    aiServiceId: 's-1',
    name: 'Chat',
    vendor: 'V',
    models: ['m'],
    baaSigned: true,
    dpaSigned: true,
    dataRetentionDays: 0,
  },
};

const providerSet = (apiKey: string | null, baseUrl = 'https://llm.example.com/v1'): AiServiceEvent => ({
  type: 'AiServiceProviderSet',
  data: {
    baseUrl,
    apiKey,
    timeoutMs: 60_000,
    aiServiceId: 's-1',
    apiKeySubject: 'ai-service-provider:s-1',
    setBy: 'u-1',
  },
});

describe("an AI service's provider settings", () => {
  it('are set on a registered service, its API key under a subject of its own', () => {
    given(aiServiceDecider, [registered])
      .when({
        type: 'SetAiServiceProvider',
        baseUrl: 'https://llm.example.com/v1',
        apiKey: 'sk-1',
        timeoutMs: 60_000,
        setBy: 'u-1',
      })
      .then([providerSet('sk-1')]);
    given(aiServiceDecider)
      .when({ type: 'SetAiServiceProvider', baseUrl: 'https://llm.example.com/v1', timeoutMs: 60_000, setBy: 'u-1' })
      .thenFails('not_found');
  });

  it('keep the API key set before when the command leaves it out, and drop it on null', () => {
    given(aiServiceDecider, [registered, providerSet('sk-1')])
      .when({ type: 'SetAiServiceProvider', baseUrl: 'https://other.example.com/v1', timeoutMs: 60_000, setBy: 'u-1' })
      .then([providerSet('sk-1', 'https://other.example.com/v1')]);
    given(aiServiceDecider, [registered, providerSet('sk-1')])
      .when({
        type: 'SetAiServiceProvider',
        baseUrl: 'https://llm.example.com/v1',
        apiKey: null,
        timeoutMs: 60_000,
        setBy: 'u-1',
      })
      .then([providerSet(null)]);
  });

  it('wait at least a second for the provider', () => {
    given(aiServiceDecider, [registered])
      .when({ type: 'SetAiServiceProvider', baseUrl: 'https://llm.example.com/v1', timeoutMs: 999, setBy: 'u-1' })
      .thenFails('invalid', 'timeoutMs');
  });
});

describe("a client's gateway settings", () => {
  const settings: GatewaySettings = {
    monthlyTokenBudget: 1_000_000,
    unanalysableParts: 'allow',
    outputRules: [{ entity: 'US_SSN', minScore: 0.5, action: 'redact' }],
  };

  it('are set whole', () => {
    given(clientAiDecider)
      .when({ type: 'SetGatewaySettings', settings })
      .then([{ type: 'GatewaySettingsSet', data: settings }]);
  });

  it('refuse a budget under 1 and unsound output rules, naming them as outputRules', () => {
    given(clientAiDecider)
      .when({ type: 'SetGatewaySettings', settings: { ...settings, monthlyTokenBudget: 0 } })
      .thenFails('invalid', 'monthlyTokenBudget');
    given(clientAiDecider)
      .when({
        type: 'SetGatewaySettings',
        settings: {
          ...settings,
          outputRules: [settings.outputRules[0]!, { entity: 'us_ssn', minScore: 0.5, action: 'block' }],
        },
      })
      .thenFails('invalid', 'outputRules.1.entity');
    given(clientAiDecider)
      .when({
        type: 'SetGatewaySettings',
        settings: {
          ...settings,
          outputRules: [{ entity: 'US_SSN', minScore: 0.5, action: 'block', aiServiceIds: [] }],
        },
      })
      .thenFails('invalid', 'outputRules.0.aiServiceIds');
  });
});
