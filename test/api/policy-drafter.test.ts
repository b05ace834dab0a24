import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../infrastructure/database/database.js';
import { startFakeOpenAiCompatibleServer } from '../support/fake-openai-compatible-server.js';
import { needs, services } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

describe.skipIf(skip)(
  `policy drafting through an OpenAI-compatible provider${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let llm: Awaited<ReturnType<typeof startFakeOpenAiCompatibleServer>>;
    let ledger: TestLedger;
    let token: string;
    let clientId: string;
    const context = {
      name: 'Acme Clinic',
      industry: 'healthcare',
      size: '11-50',
      dataTypes: ['phi'],
      aiTools: [],
      jurisdictions: ['US'],
    };

    beforeAll(async () => {
      llm = await startFakeOpenAiCompatibleServer();
      ledger = await startTestLedger({
        env: { POLICY_LLM_URL: llm.url, POLICY_LLM_API_KEY: 'sk-test-key', POLICY_LLM_MODEL: 'drafter-1' },
      });
      token = (await ledger.signUp()).accessToken;
      clientId = (
        await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
          token,
          body: { name: 'Acme', industry: 'healthcare', size: '11-50' },
        })
      ).body.data.clientId;
    });
    afterAll(async () => {
      await ledger?.close();
      await llm?.close();
    });

    async function generatorsRecorded(): Promise<unknown[]> {
      const database = await openDatabase({
        kind: 'postgres',
        url: services.databaseUrl!,
        schema: ledger.config.DATABASE_SCHEMA,
        poolSize: 1,
      });
      try {
        return (
          await sql<{
            generator: unknown;
          }>`select data->'generator' as generator from events where type = 'PolicyGenerated'`.execute(database.db)
        ).rows.map((r) => r.generator);
      } finally {
        await database.close();
      }
    }

    it('drafts from the template draft and records which generator made it', async () => {
      llm.answerWith(
        200,
        '# AI Acceptable Use Policy: Acme Clinic\n\nRewritten by the drafter.\n\n> Traces to HIPAA Security Rule: hipaa-001\n',
      );
      const response = await ledger.request<{ data: { policyId: string } }>('POST', '/policies/generate', {
        token,
        body: { clientId, frameworkId: 'hipaa', companyContext: context },
      });
      expect(response.status).toBe(201);
      const request = llm.requests.at(-1)!;
      expect(request.authorization).toBe('Bearer sk-test-key');
      expect(request.body.model).toBe('drafter-1');
      expect(request.body.messages[1]!.content).toContain('## 1. Purpose and scope');

      const exported = await fetch(`${ledger.url}/api/v1/policies/${response.body.data.policyId}/export`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ format: 'markdown' }),
      });
      expect(await exported.text()).toContain('Rewritten by the drafter.');
      expect(await generatorsRecorded()).toEqual([
        { name: 'openai-compatible', version: 'drafter-1', inputHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      ]);
    });

    it('answers 502 and records nothing when the provider fails', async () => {
      llm.answerWith(500, '');
      const response = await ledger.request('POST', '/policies/generate', {
        token,
        body: { clientId, frameworkId: 'hipaa', companyContext: context },
      });
      expect(response.status).toBe(502);
      expect(response.body).toMatchObject({ type: expect.stringMatching(/drafter-unavailable$/) });
      expect(await generatorsRecorded()).toHaveLength(1);
    });
  },
);
