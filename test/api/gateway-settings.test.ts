/**
 * A client's gateway settings over HTTP: the defaults until set, set whole, read back at once with their ETag, and
 * bad input refused naming the field (output rules as outputRules.N…).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { approvedService, createClient, inviteMember, type Member, type SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Answer {
  data?: Record<string, unknown>;
  errors?: Array<{ field: string; message: string }>;
}

describe.skipIf(skip)(`client gateway settings over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: SignedUp;
  let clientId: string;
  let aiServiceId: string;
  let officer: Member;
  const settings = {
    monthlyTokenBudget: 2_000_000,
    unanalysableParts: 'allow',
    outputRules: [{ entity: 'US_SSN', minScore: 0.6, action: 'redact' }],
  };

  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
    clientId = await createClient(ledger, admin.accessToken, 'Budget Clinic');
    aiServiceId = await approvedService(ledger, admin.accessToken, [clientId]);
    officer = await inviteMember(ledger, admin.accessToken, 'compliance_officer', clientId);
  });
  afterAll(() => ledger?.close());

  const put = (body: unknown, token = admin.accessToken, headers: Record<string, string> = {}, id = clientId) =>
    ledger.request<Answer>('PUT', `/clients/${id}/gateway-settings`, { token, body, headers });
  const get = (token = admin.accessToken, id = clientId) =>
    ledger.request<Answer>('GET', `/clients/${id}/gateway-settings`, { token });

  it('answers the defaults while none are set: no budget, unreadable parts blocked, no output rules', async () => {
    const read = await get();
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({
      clientId,
      set: false,
      monthlyTokenBudget: null,
      unanalysableParts: 'block',
      outputRules: [],
    });
  });

  it('sets them whole and reads them back at once, with an ETag that If-Match checks', async () => {
    const before = await get();
    const set = await put(
      {
        ...settings,
        outputRules: [
          ...settings.outputRules,
          { entity: 'EMAIL_ADDRESS', minScore: 0.5, action: 'block', aiServiceIds: [aiServiceId] },
        ],
      },
      admin.accessToken,
      { 'If-Match': before.headers.get('etag')! },
    );
    expect(set.status).toBe(200);
    expect(set.body.data).toEqual({ clientId });
    const read = await get(officer.accessToken);
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({
      clientId,
      set: true,
      ...settings,
      outputRules: [
        ...settings.outputRules,
        { entity: 'EMAIL_ADDRESS', minScore: 0.5, action: 'block', aiServiceIds: [aiServiceId] },
      ],
    });
    expect(read.headers.get('etag')).toBe(set.headers.get('etag'));
    const stale = await put({ ...settings, monthlyTokenBudget: null }, admin.accessToken, {
      'If-Match': before.headers.get('etag')!,
    });
    expect(stale.status).toBe(412);
    const unlimited = await put({ ...settings, monthlyTokenBudget: null });
    expect(unlimited.status).toBe(200);
    expect((await get()).body.data).toMatchObject({ monthlyTokenBudget: null });
  });

  it.each([
    [{ ...settings, monthlyTokenBudget: 0 }, 'monthlyTokenBudget', 400],
    [{ ...settings, monthlyTokenBudget: 1.5 }, 'monthlyTokenBudget', 400],
    [{ ...settings, unanalysableParts: 'warn' }, 'unanalysableParts', 400],
    [{ monthlyTokenBudget: null, unanalysableParts: 'block' }, 'outputRules', 400],
    [{ ...settings, extra: true }, '', 400],
    [
      { ...settings, outputRules: [{ entity: 'US_SSN', minScore: 2, action: 'redact' }] },
      'outputRules.0.minScore',
      400,
    ],
    [{ ...settings, outputRules: [{ entity: 'US_SSN', minScore: 0.5, action: 'hide' }] }, 'outputRules.0.action', 400],
    [
      { ...settings, outputRules: [settings.outputRules[0], { entity: 'us ssn', minScore: 0.5, action: 'block' }] },
      'outputRules.1.entity',
      422,
    ],
    [
      {
        ...settings,
        outputRules: [{ entity: 'US_SSN', minScore: 0.5, action: 'block', aiServiceIds: [randomUUID()] }],
      },
      'outputRules.0.aiServiceIds.0',
      422,
    ],
  ])('refuses %j naming %s', async (body, field, status) => {
    const refused = await put(body);
    expect(refused.status).toBe(status);
    if (field) expect(refused.body.errors?.map((e) => e.field)).toContain(field);
  });

  it("is the client's: its compliance officer reads, never writes; another tenant finds no such client", async () => {
    expect((await put(settings, officer.accessToken)).status).toBe(403);
    const other = await ledger.signUp('other');
    expect((await get(other.accessToken)).status).toBe(404);
    expect((await put(settings, other.accessToken)).status).toBe(404);
    expect((await get(admin.accessToken, randomUUID())).status).toBe(404);
    const archived = await createClient(ledger, admin.accessToken, 'Closed Clinic');
    await ledger.request('DELETE', `/clients/${archived}`, { token: admin.accessToken });
    expect((await put(settings, admin.accessToken, {}, archived)).status).toBe(410);
  });
});
