import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Analysis {
  analysisId: string;
  decision: string;
  findings: Array<{ entity: string; start: number; end: number; score: number; rule: string; action: string }>;
  redactedPrompt: string;
  reasons: string[];
}

// Identifiers from the public specifications' examples, each valid for its checksum.
const SSN = '219-45-6781';
const CARD = '4111 1111 1111 1111';
const EMAIL = 'maria.garcia@example.org';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const MRN = '00123456';
const CLINICAL_NOTE = `Patient Maria Garcia, DOB 03/14/1950, MRN ${MRN}. SSN ${SSN}. Reach her at ${EMAIL} or (415) 555-2671. Summarise her discharge plan.`;

describe.skipIf(skip)(`prompt analysis over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  let clinic: string; // a HIPAA client
  let agency: string; // a GDPR client
  let withBaa: string; // approved for both clients
  let withoutBaa: string; // approved for the clinic, no BAA signed
  let unapproved: string;

  const post = <T = Record<string, unknown>>(path: string, body: unknown, token = admin.accessToken) =>
    ledger.request<T>('POST', path, { token, body });
  const analyze = (body: Record<string, unknown>, token?: string) =>
    post<{ data: Analysis; meta: { position: string } }>('/analyze/prompt', body, token);

  const client = async (name: string, frameworks: string[]) =>
    (await post<{ data: { clientId: string } }>('/clients', { name, industry: 'health', size: '11-50', frameworks }))
      .body.data.clientId;

  beforeAll(async () => {
    // Prompts up to the default PROMPT_MAX_CHARS (65,536), the longest analysis a ledger runs unless told otherwise.
    ledger = await startTestLedger({ captureLogs: true });
    admin = await ledger.signUp();
    clinic = await client('Clinic', ['hipaa']);
    agency = await client('Agency', ['gdpr']);
    const service = async (name: string, baaSigned: boolean) =>
      (
        await post<{ data: { aiServiceId: string } }>('/ai-services', {
          name,
          vendor: 'Vendor',
          models: ['m'],
          baaSigned,
          dpaSigned: true,
          dataRetentionDays: 0,
        })
      ).body.data.aiServiceId;
    withBaa = await service('Covered Chat', true);
    withoutBaa = await service('Plain Chat', false);
    unapproved = await service('Shadow Chat', true);
    for (const [clientId, serviceId] of [
      [clinic, withBaa],
      [agency, withBaa],
      [clinic, withoutBaa],
    ]) {
      expect(
        (await post(`/clients/${clientId}/ai-services/${serviceId}/approve`, { reason: 'contract in place' })).status,
      ).toBe(200);
    }
  });
  afterAll(() => ledger?.close());

  const tokenFor = (role: string, scopedClient: string | null) => ledger.tokenFor(admin.tenantId, role, scopedClient);

  it('blocks PHI for a HIPAA client, names each finding and redacts it', async () => {
    const answer = await analyze({
      clientId: clinic,
      aiServiceId: withBaa,
      prompt: CLINICAL_NOTE,
      userRef: 'employee-4711',
      conversationId: 'conv-1',
    });
    expect(answer.status).toBe(201);
    const { data, meta } = answer.body;
    expect(meta.position).toMatch(/\d/);
    expect(data.decision).toBe('block');
    const found = Object.fromEntries(data.findings.map((f) => [f.entity, CLINICAL_NOTE.slice(f.start, f.end)]));
    expect(found).toMatchObject({
      PERSON: 'Maria Garcia',
      DATE_TIME: '03/14/1950',
      MEDICAL_RECORD_NUMBER: MRN,
      US_SSN: SSN,
      EMAIL_ADDRESS: EMAIL,
      PHONE_NUMBER: '(415) 555-2671',
    });
    expect(data.findings.every((f) => f.action === 'block')).toBe(true);
    expect(data.redactedPrompt).toBe(
      'Patient <PERSON_1>, DOB <DATE_TIME_1>, MRN <MEDICAL_RECORD_NUMBER_1>. SSN <US_SSN_1>. Reach her at <EMAIL_ADDRESS_1> or <PHONE_NUMBER_1>. Summarise her discharge plan.',
    );
    expect(data.reasons).toContain('US_SSN → block (HIPAA default)');
  });

  it("redacts exactly what was found (a possessive 's stays) and leaves findings it only warns about as written", async () => {
    const blocked = await analyze({
      clientId: clinic,
      aiServiceId: withBaa,
      prompt: `Mr. John Smith's SSN is ${SSN}.`,
    });
    expect(blocked.body.data.decision).toBe('block');
    expect(blocked.body.data.redactedPrompt).toBe("Mr. <PERSON_1>'s SSN is <US_SSN_1>.");
    // A client held to no framework is warned about personal data: the text goes on as written.
    const plain = await client('Plain Office', []);
    expect(
      (await post(`/clients/${plain}/ai-services/${withBaa}/approve`, { reason: 'contract in place' })).status,
    ).toBe(200);
    const prompt = `Mr. John Smith's address is ${EMAIL}.`;
    const warned = await analyze({ clientId: plain, aiServiceId: withBaa, prompt });
    expect(warned.body.data.decision).toBe('warn');
    expect(warned.body.data.findings.map((f) => f.action)).toEqual(['warn', 'warn']);
    expect(warned.body.data.redactedPrompt).toBe(prompt);
  });

  it('redacts personal data for a GDPR client, and masks card numbers on request', async () => {
    const prompt = `Draft a reply to ${EMAIL} about the refund to card ${CARD}.`;
    const answer = await analyze({ clientId: agency, aiServiceId: withBaa, prompt, redaction: 'mask' });
    expect(answer.body.data.decision).toBe('redact');
    expect(answer.body.data.redactedPrompt).toBe(
      'Draft a reply to <EMAIL_ADDRESS_1> about the refund to card **** **** **** 1111.',
    );
  });

  it('allows a clean prompt and records no violation', async () => {
    const answer = await analyze({
      clientId: agency,
      aiServiceId: withBaa,
      prompt: 'Write a haiku about compliance audits in autumn.',
    });
    expect(answer.body.data).toMatchObject({
      decision: 'allow',
      findings: [],
      reasons: [],
      redactedPrompt: 'Write a haiku about compliance audits in autumn.',
    });
    const events = await ledger.storedEvents();
    const forThis = events.filter(
      (e) => (e.data as { analysisId?: string }).analysisId === answer.body.data.analysisId,
    );
    expect(forThis.map((e) => e.type)).toEqual(['PromptAnalyzed']);
  });

  it('blocks secrets for every client and records a critical violation', async () => {
    const answer = await analyze({
      clientId: agency,
      aiServiceId: withBaa,
      prompt: `Why does boto fail with key ${AWS_KEY}?`,
    });
    expect(answer.body.data.decision).toBe('block');
    const events = await ledger.storedEvents();
    const violation = events.find(
      (e) =>
        e.type === 'ViolationRecorded' && (e.data as { analysisId: string }).analysisId === answer.body.data.analysisId,
    );
    expect(violation?.data).toMatchObject({
      kind: 'sensitive-data',
      action: 'block',
      severity: 'critical',
      entityCounts: { AWS_ACCESS_KEY: 1 },
    });
  });

  it('records a violation for a service the client never approved, acting by its policy', async () => {
    const blocked = await analyze({
      clientId: agency,
      aiServiceId: unapproved,
      prompt: 'Summarise the meeting notes.',
    });
    expect(blocked.body.data.decision).toBe('block');
    expect(blocked.body.data.reasons[0]).toMatch(/"Shadow Chat" is not approved for this client → block/);
    expect(
      (
        await ledger.request('PUT', `/clients/${agency}/ai-policy`, {
          token: admin.accessToken,
          body: { rules: [], unapprovedService: 'warn' },
        })
      ).status,
    ).toBe(200);
    const warned = await analyze({ clientId: agency, aiServiceId: unapproved, prompt: 'Summarise the meeting notes.' });
    expect(warned.body.data.decision).toBe('warn');
    const events = await ledger.storedEvents();
    const violation = events.find(
      (e) =>
        e.type === 'ViolationRecorded' && (e.data as { analysisId: string }).analysisId === warned.body.data.analysisId,
    );
    expect(violation?.data).toMatchObject({ kind: 'unapproved-ai-service', action: 'warn' });
    const unknown = await analyze({ clientId: agency, aiServiceId: randomUUID(), prompt: 'Hello' });
    expect(unknown.body.data.reasons[0]).toMatch(/is not in the registry/);
  });

  it("applies the client's own rules and custom patterns, and blocks PHI to a vendor without a BAA", async () => {
    const policy = {
      rules: [{ entity: 'US_SSN', minScore: 0.5, action: 'redact' }],
      unapprovedService: 'block',
      customPatterns: [{ entity: 'PATIENT_ID', pattern: 'PT-\\d{6}', score: 0.9 }],
    };
    expect(
      (await ledger.request('PUT', `/clients/${clinic}/ai-policy`, { token: admin.accessToken, body: policy })).status,
    ).toBe(200);
    const prompt = `Chart PT-004211, SSN ${SSN}.`;
    const covered = await analyze({ clientId: clinic, aiServiceId: withBaa, prompt });
    expect(covered.body.data.findings.map((f) => [f.entity, f.action])).toEqual([
      ['PATIENT_ID', 'warn'], // no rule names it: a custom pattern is there to catch something
      ['US_SSN', 'redact'],
    ]);
    expect(covered.body.data.decision).toBe('redact');
    const uncovered = await analyze({ clientId: clinic, aiServiceId: withoutBaa, prompt });
    expect(uncovered.body.data.decision).toBe('block');
    expect(uncovered.body.data.reasons).toContain(
      'US_SSN → block (HIPAA: no business associate agreement with the vendor)',
    );
  });

  it('warns about what a custom pattern finds when no rule names it, and lists entities as on /violations', async () => {
    const officer = await client('Officer clinic', []);
    expect((await post(`/clients/${officer}/ai-services/${withBaa}/approve`, { reason: 'contract' })).status).toBe(200);
    const customPatterns = [{ entity: 'PATIENT_ID', pattern: 'PT-\\d{6}', score: 0.9 }];
    expect(
      (
        await ledger.request('PUT', `/clients/${officer}/ai-policy`, {
          token: admin.accessToken,
          body: { rules: [], unapprovedService: 'block', customPatterns },
        })
      ).status,
    ).toBe(200);
    const prompt = `Charts PT-004211 and PT-004212 for ${EMAIL}.`;
    const answer = await analyze({ clientId: officer, aiServiceId: withBaa, prompt });
    expect(answer.body.data.decision).toBe('warn');
    expect(answer.body.data.findings.map((f) => [f.entity, f.action])).toEqual([
      ['PATIENT_ID', 'warn'],
      ['PATIENT_ID', 'warn'],
      ['EMAIL_ADDRESS', 'warn'],
    ]);
    expect(answer.body.data.reasons).toContain('2 × PATIENT_ID → warn (default for a custom pattern)');
    expect(answer.body.data.redactedPrompt).toBe(prompt); // a warning leaves the text as written
    const rules = await ledger.request<{ data: Array<{ policy: { rules: Array<Record<string, unknown>> } }> }>(
      'GET',
      `/analyze/ai-services?clientId=${officer}`,
      { token: admin.accessToken },
    );
    expect(rules.body.data[0]!.policy.rules).toContainEqual({
      entity: 'PATIENT_ID',
      minScore: 0,
      action: 'warn',
      source: 'default for a custom pattern',
    });

    // One shape of entity counts in REST: [{ type, count }] sorted by type, on analyses as on violations.
    const read = <T>(path: string) =>
      ledger.request<{ data: T[] }>('GET', path, {
        token: admin.accessToken,
        headers: { 'X-Min-Position': answer.body.meta.position },
      });
    const analyses = await read<Record<string, unknown>>(`/prompt-analyses?clientId=${officer}`);
    expect(analyses.status).toBe(200);
    expect(analyses.body.data).toHaveLength(1);
    expect(analyses.body.data[0]).toMatchObject({
      decision: 'warn',
      entities: [
        { type: 'EMAIL_ADDRESS', count: 1 },
        { type: 'PATIENT_ID', count: 2 },
      ],
    });
    expect(analyses.body.data[0]).not.toHaveProperty('entityCounts');
    const violations = await read<Record<string, unknown>>(`/violations?clientId=${officer}`);
    expect(violations.body.data.map((v) => v.entities)).toEqual([analyses.body.data[0]!.entities]);
  });

  describe('with hostile custom patterns', () => {
    let hostile: string; // a client whose policy the tests below set
    const setPatterns = async (customPatterns: Array<{ entity: string; pattern: string; score: number }>) =>
      expect(
        (
          await ledger.request('PUT', `/clients/${hostile}/ai-policy`, {
            token: admin.accessToken,
            body: { rules: [], unapprovedService: 'block', customPatterns },
          })
        ).status,
      ).toBe(200);

    beforeAll(async () => {
      hostile = await client('Hostile', []);
      expect(
        (await post(`/clients/${hostile}/ai-services/${withBaa}/approve`, { reason: 'contract in place' })).status,
      ).toBe(200);
    });

    it('answers every other request while an analysis of the longest prompt runs', async () => {
      // x{100}.*y|x{100} over "xxxx…": after each match, a loop around find() read on to the end of the text to rule
      // out the longer alternative. [xy]{880}x keeps 880 threads alive at every character, about what a policy may
      // cost: the analysis takes a while even in one pass.
      await setPatterns([
        { entity: 'HOSTILE', pattern: 'x{100}.*y|x{100}', score: 0.5 },
        { entity: 'COSTLY', pattern: '[xy]{880}x', score: 0.5 },
      ]);
      const prompt = 'x'.repeat(ledger.config.PROMPT_MAX_CHARS);
      let finished = false;
      const long = analyze({ clientId: hostile, aiServiceId: withBaa, prompt }).finally(() => (finished = true));
      // The ledger runs in this process: while an analysis held the event loop, this test could not send a request.
      // So: health checks one after another, then another client's analysis, all answered before the long one.
      let healthy = 0;
      while (!finished && healthy < 20) {
        expect((await fetch(`${ledger.url}/health`)).status).toBe(200);
        healthy++;
      }
      const other = await analyze({ clientId: agency, aiServiceId: withBaa, prompt: 'Summarise the meeting notes.' });
      expect(other.status).toBe(201);
      expect(finished, 'the hostile analysis is still running').toBe(false);
      const answer = await long;
      expect(answer.status).toBe(201);
      // Both patterns' matches, however long ([xy]{880}x spans 881 characters): none is passed over.
      const entities = new Set(answer.body.data.findings.map((f) => f.entity));
      expect(entities).toEqual(new Set(['HOSTILE', 'COSTLY']));
    });

    it('refuses a prompt its patterns match more than 1,000 times, rather than list every match', async () => {
      // The prompt that took 12.8 s, during which /health took 12 s: 32,768 matches to list, each a finding to record.
      await setPatterns([{ entity: 'HOSTILE', pattern: 'x.*y|x', score: 0.5 }]);
      const refused = await analyze({ clientId: hostile, aiServiceId: withBaa, prompt: 'x'.repeat(32_768) });
      expect(refused.status).toBe(422);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(refused.body).toMatchObject({
        errors: [{ field: 'prompt', message: expect.stringMatching(/more than 1000/) }],
      });
      expect((await analyze({ clientId: hostile, aiServiceId: withBaa, prompt: 'x'.repeat(1_000) })).status).toBe(201);
    });
  });

  it('lists the services a client may use with the rules that apply to each', async () => {
    const list = await ledger.request<{
      data: Array<{ name: string; policy: { rules: Array<{ entity: string; action: string; source: string }> } }>;
    }>('GET', `/analyze/ai-services?clientId=${clinic}`, { token: admin.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.data.map((s) => s.name)).toEqual(['Covered Chat', 'Plain Chat']);
    const [covered, plain] = list.body.data.map((service) => service.policy.rules);
    expect(covered).toContainEqual(
      expect.objectContaining({
        entity: 'US_SSN',
        action: 'redact',
        source: 'client policy: US_SSN at score 0.5 or more',
      }),
    );
    expect(covered).toContainEqual(
      expect.objectContaining({ entity: 'EMAIL_ADDRESS', action: 'block', source: 'HIPAA default' }),
    );
    expect(covered).toContainEqual(
      expect.objectContaining({ entity: 'PRIVATE_KEY', action: 'block', source: 'default policy' }),
    );
    // Without a BAA, no rule of the client's can let PHI through.
    expect(plain).toContainEqual(
      expect.objectContaining({
        entity: 'US_SSN',
        action: 'block',
        source: 'HIPAA: no business associate agreement with the vendor',
      }),
    );
    const member = await ledger.request('GET', `/analyze/ai-services?clientId=${clinic}`, {
      token: tokenFor('member', clinic),
    });
    expect(member.status).toBe(200);
  });

  it('refuses bad input with a problem naming the field, and records nothing but the refusal', async () => {
    const recorded = async () => (await ledger.storedEvents()).filter((e) => e.type !== 'CommandRefused');
    const refusals = async () => (await ledger.storedEvents()).filter((e) => e.type === 'CommandRefused');
    const before = (await recorded()).length;
    const refusedBefore = (await refusals()).length;
    const tooLong = await analyze({
      clientId: clinic,
      aiServiceId: withBaa,
      prompt: 'x'.repeat(ledger.config.PROMPT_MAX_CHARS + 1),
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(tooLong.body).toMatchObject({ errors: [{ field: 'prompt' }] });
    const missing = await analyze({ clientId: clinic, aiServiceId: withBaa });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ errors: [expect.objectContaining({ field: 'prompt' })] });
    const archivedOrMissing = await analyze({ clientId: randomUUID(), aiServiceId: withBaa, prompt: 'hi' });
    expect(archivedOrMissing.status).toBe(404);
    expect((await recorded()).length).toBe(before);
    // The audit trail has the two refusals that reached the command (the 400 never became one), without the prompt.
    await expect.poll(async () => (await refusals()).length, { timeout: 5_000 }).toBe(refusedBefore + 2);
    expect((await refusals()).slice(-2).map((e) => (e.data as { status: number }).status)).toEqual([422, 404]);
    expect(JSON.stringify(await refusals())).not.toContain('xxxxxxxx');
  });

  it('lets each role analyse only its own client, and auditors not at all', async () => {
    expect(
      (await analyze({ clientId: clinic, aiServiceId: withBaa, prompt: 'hello' }, tokenFor('member', clinic))).status,
    ).toBe(201);
    expect(
      (await analyze({ clientId: clinic, aiServiceId: withBaa, prompt: 'hello' }, tokenFor('member', agency))).status,
    ).toBe(404);
    expect(
      (await analyze({ clientId: clinic, aiServiceId: withBaa, prompt: 'hello' }, tokenFor('auditor', null))).status,
    ).toBe(403);
  });

  it('never stores or logs the prompt or a value found in it', async () => {
    const secrets = [SSN, CARD, EMAIL, AWS_KEY, MRN, 'Maria Garcia', '555-2671', 'employee-4711', '03/14/1950'];
    // Every analysis above already went through; one more with everything at once, on an unapproved service.
    await analyze({
      clientId: clinic,
      aiServiceId: unapproved,
      prompt: `${CLINICAL_NOTE} Card ${CARD}, key ${AWS_KEY}.`,
      userRef: 'employee-4711',
    });
    const stored = JSON.stringify(await ledger.storedEvents());
    const logs = ledger.logs();
    expect(logs.length).toBeGreaterThan(1000); // the log was captured at trace level
    for (const value of secrets) {
      expect(stored, `event store holds ${value}`).not.toContain(value);
      expect(logs, `logs hold ${value}`).not.toContain(value);
      expect(stored).not.toContain(value.replace(/\D/g, '').length > 6 ? value.replace(/\D/g, '') : '\u0000');
    }
    expect(stored).toContain('"promptHash"');
  });
});
