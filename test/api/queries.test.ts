import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsProjection } from '../../projections/read-models/clients.js';
import { tamperWithEvent } from '../contract/tamper.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs, openTransactionElsewhere } from '../support/services.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface List<T> {
  data: T[];
  meta: { total: number; page: number; size: number; pages: number };
}

describe.skipIf(skip)(`the query API over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  let other: Awaited<ReturnType<TestLedger['signUp']>>;
  const clientIds: string[] = [];
  let lastPosition = '';

  const get = <T>(path: string, token = admin.accessToken, headers: Record<string, string> = {}) =>
    ledger.request<T>('GET', path, { token, headers });
  const post = <T = { data: Record<string, string>; meta: { position: string } }>(
    path: string,
    body: unknown,
    token = admin.accessToken,
  ) => ledger.request<T>('POST', path, { token, body });
  const tokenFor = (role: string, clientId: string | null) => ledger.tokenFor(admin.tenantId, role, clientId);

  beforeAll(async () => {
    ledger = await startTestLedger({ env: { QUERY_WAIT_MS: '3000' } });
    admin = await ledger.signUp();
    other = await ledger.signUp('other');
    for (const [name, frameworks] of [
      ['Alpha Clinic', ['hipaa']],
      ['Beta Dental', ['gdpr']],
      ['Gamma Labs', []],
    ] as const) {
      const created = await post('/clients', { name, industry: 'health', size: '11-50', frameworks });
      clientIds.push(created.body.data.clientId!);
      lastPosition = created.body.meta.position;
    }
    await post('/clients', { name: 'Other MSP client', industry: 'x', size: '1-10' }, other.accessToken);
  });
  afterAll(() => ledger?.close());

  it('reads its own writes with X-Min-Position', async () => {
    const created = await post('/clients', { name: 'Delta Care', industry: 'health', size: '1-10' });
    clientIds.push(created.body.data.clientId!);
    const list = await get<List<{ name: string }>>('/clients?q=Delta', admin.accessToken, {
      'X-Min-Position': created.body.meta.position,
    });
    expect(list.status).toBe(200);
    expect(list.body.data.map((c) => c.name)).toEqual(['Delta Care']);
    const one = await get<{ data: { name: string; status: string } }>(
      `/clients/${created.body.data.clientId}`,
      admin.accessToken,
      { 'X-Min-Position': created.body.meta.position },
    );
    expect(one.body.data).toMatchObject({ name: 'Delta Care', status: 'active' });
  });

  it('answers 503 with Retry-After when the read model cannot reach the position in time', async () => {
    const [major] = lastPosition.split('-');
    const future = `${String(BigInt(major!) + 1_000_000n).padStart(major!.length, '0')}-00000000000000000001`;
    const started = Date.now();
    const answer = await get('/clients', admin.accessToken, { 'X-Min-Position': future });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect((await get('/clients', admin.accessToken, { 'X-Min-Position': 'yesterday' })).status).toBe(400);
  });

  it('lists with filters, sorting and pages, and only within the tenant', async () => {
    const page = await get<List<{ name: string }>>('/clients?size=2&page=1', admin.accessToken, {
      'X-Min-Position': lastPosition,
    });
    expect(page.body.meta).toEqual({ total: 4, page: 1, size: 2, pages: 2 });
    expect(page.body.data.map((c) => c.name)).toEqual(['Alpha Clinic', 'Beta Dental']);
    const hipaa = await get<List<{ name: string }>>('/clients?framework=hipaa');
    expect(hipaa.body.data.map((c) => c.name)).toEqual(['Alpha Clinic']);
    expect((await get<List<unknown>>('/clients?size=1000')).status).toBe(400);
    const archiving = await ledger.request<{ meta: { position: string } }>('DELETE', `/clients/${clientIds[2]}`, {
      token: admin.accessToken,
    });
    // Read once the archiving is in the read model (a poll's default second is not enough on a busy machine).
    const archived = await get<List<{ name: string }>>('/clients?status=archived', admin.accessToken, {
      'X-Min-Position': archiving.body.meta.position,
    });
    expect(archived.status).toBe(200);
    expect(archived.body.data.map((c) => c.name)).toEqual(['Gamma Labs']);
    const theirs = await get<List<{ name: string }>>('/clients', other.accessToken);
    expect(theirs.body.data.map((c) => c.name)).toEqual(['Other MSP client']);
    // A client-scoped user sees its own client, whatever it asks for.
    const scoped = await get<List<{ clientId: string }>>('/clients', tokenFor('client_admin', clientIds[1]!));
    expect(scoped.body.data.map((c) => c.clientId)).toEqual([clientIds[1]]);
    expect((await get(`/clients/${clientIds[0]}`, tokenFor('client_admin', clientIds[1]!))).status).toBe(404);
  });

  it('lists violations by client and severity', async () => {
    const service = await post('/ai-services', {
      name: 'Chat',
      vendor: 'V',
      models: ['m'],
      baaSigned: true,
      dpaSigned: true,
      dataRetentionDays: 0,
    });
    await post(`/clients/${clientIds[0]}/ai-services/${service.body.data.aiServiceId}/approve`, { reason: 'ok' });
    const analysed = await post('/analyze/prompt', {
      clientId: clientIds[0],
      aiServiceId: service.body.data.aiServiceId,
      prompt: 'SSN 219-45-6781 please',
    });
    await post('/analyze/prompt', { clientId: clientIds[1], aiServiceId: randomUUID(), prompt: 'hello' });
    const high = await get<
      List<{ clientId: string; kind: string; severity: string; entities: Array<{ type: string; count: number }> }>
    >('/violations?severity=high', admin.accessToken, {
      'X-Min-Position': analysed.body.meta.position,
    });
    expect(high.body.data.length).toBeGreaterThanOrEqual(1);
    expect(high.body.data.every((v) => v.severity === 'high')).toBe(true);
    const forAlpha = await get<List<{ clientId: string; entities: Array<{ type: string; count: number }> }>>(
      `/violations?clientId=${clientIds[0]}`,
    );
    expect(forAlpha.body.data).toEqual([
      expect.objectContaining({
        clientId: clientIds[0],
        kind: 'sensitive-data',
        entities: [{ type: 'US_SSN', count: 1 }],
      }),
    ]);
    const none = await get<List<unknown>>(
      `/violations?from=2000-01-01T00:00:00Z&to=${encodeURIComponent('2000-01-02T00:00:00Z')}`,
    );
    expect(none.status).toBe(200);
    expect(none.body, JSON.stringify(none.body)).toMatchObject({ data: [] });
  });

  it('keeps an audit log of who did what, when and from where, for auditors and not for client roles', async () => {
    const audit = await get<List<{ type: string; actorId: string; ip: string | null }>>(
      '/audit?type=ClientRegistered',
      tokenFor('auditor', null),
      { 'X-Min-Position': lastPosition },
    );
    expect(audit.status).toBe(200);
    expect(audit.body.data.length).toBeGreaterThanOrEqual(3);
    expect(audit.body.data[0]).toMatchObject({
      type: 'ClientRegistered',
      actorId: admin.userId,
      ip: expect.stringMatching(/127\.0\.0\.1/) as unknown,
    });
    expect((await get('/audit', tokenFor('client_admin', clientIds[0]!))).status).toBe(403);
    // The auditor reads and never writes; the refused command is in the audit log, with what was asked and why not.
    const auditor = tokenFor('auditor', null);
    expect((await post('/clients', { name: 'x', industry: 'x', size: '1-10' }, auditor)).status).toBe(403);
    type Entry = {
      type: string;
      outcome: string;
      actorId: string;
      refusal: { method: string; path: string; status: number; title: string } | null;
    };
    await expect
      .poll(async () => (await get<List<Entry>>('/audit?outcome=refused', auditor)).body.data[0], { timeout: 10_000 })
      .toMatchObject({
        type: 'CommandRefused',
        outcome: 'refused',
        refusal: { method: 'POST', path: '/api/v1/clients', status: 403, title: 'Forbidden' },
      });
    const recorded = await get<List<Entry>>('/audit?outcome=recorded&size=100', auditor);
    expect(recorded.body.data.every((e) => e.outcome === 'recorded' && e.refusal === null)).toBe(true);
  });

  it("replays a stream's history and the tenant's log by position, hiding credentials", async () => {
    const stream = `${admin.tenantId}/client/${clientIds[0]}`;
    const history = await get<{ data: Array<{ type: string; revision: number }> }>(
      `/history/streams/${encodeURIComponent(stream)}`,
      tokenFor('auditor', null),
    );
    expect(history.status, JSON.stringify(history.body)).toBe(200);
    expect(history.body.data.map((e) => e.type)).toEqual(['ClientRegistered']);
    expect(
      (await get(`/history/streams/${encodeURIComponent(`${other.tenantId}/client/x`)}`, tokenFor('auditor', null)))
        .status,
    ).toBe(404);
    const first = await get<{
      data: Array<{ position: string; type: string; data: Record<string, unknown> }>;
      meta: { next: string | null };
    }>('/history/events?size=3', tokenFor('auditor', null));
    expect(first.body.data).toHaveLength(3);
    const second = await get<{ data: Array<{ position: string }> }>(
      `/history/events?size=3&after=${encodeURIComponent(first.body.meta.next!)}`,
      tokenFor('auditor', null),
    );
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.data[0]!.position > first.body.data[2]!.position).toBe(true);
    expect(JSON.stringify(first.body)).not.toMatch(/\$argon2/);
    const clientsOnly = await get<{ data: Array<{ type: string }> }>(
      `/history/events?type=${encodeURIComponent('ClientRegistered,ClientArchived')}`,
      tokenFor('auditor', null),
    );
    expect(clientsOnly.status, JSON.stringify(clientsOnly.body)).toBe(200);
    expect(new Set(clientsOnly.body.data.map((e) => e.type))).toEqual(new Set(['ClientRegistered', 'ClientArchived']));
  });

  it('answers a query it cannot read with a 400 naming the parameter', async () => {
    for (const [path, field] of [
      ['/history/events?after=yesterday', 'after'],
      ['/history/events?size=501', 'size'],
      ['/violations?from=tuesday', 'from'],
      ['/violations?severity=dire', 'severity'],
      ['/audit?outcome=maybe', 'outcome'],
      ['/audit/export?format=xlsx', 'format'],
      ['/history/diff?from=tuesday&to=2020-01-01T00:00:00Z', 'from'],
      ['/msp/summary?asOf=tuesday', 'asOf'],
    ] as const) {
      const answer = await get<{ errors: Array<{ field: string }> }>(path, tokenFor('auditor', null));
      expect(answer.status, path).toBe(400);
      expect(answer.headers.get('content-type'), path).toMatch(/problem\+json/);
      expect(
        answer.body.errors.map((e) => e.field),
        path,
      ).toEqual([field]);
    }
  });

  it('verifies the hash chain, and finds a tampered event', async () => {
    const ok = await get<{ data: { ok: boolean; eventsChecked: number } }>(
      '/history/verify',
      tokenFor('auditor', null),
    );
    expect(ok.body.data.ok).toBe(true);
    expect(ok.body.data.eventsChecked).toBeGreaterThan(5);
    const stream = `${admin.tenantId}/client/${clientIds[1]}`;
    await ledger.sql((db) =>
      tamperWithEvent({ db } as never, stream, 0, {
        clientId: clientIds[1],
        name: 'Forged',
        industry: 'x',
        size: '1-10',
      }),
    );
    const broken = await get<{
      data: { ok: boolean; firstBreak: { streamId: string; revision: number; reason: string } };
    }>('/history/verify', tokenFor('auditor', null));
    expect(broken.body.data).toMatchObject({
      ok: false,
      firstBreak: { streamId: stream, revision: 0, reason: 'hash-mismatch' },
    });
  });

  it('streams the audit log as CSV and JSON Lines', async () => {
    const token = tokenFor('auditor', null);
    const csv = await fetch(`${ledger.url}/api/v1/audit/export?format=csv`, {
      headers: { authorization: `Bearer ${token}`, 'X-Min-Position': lastPosition },
    });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'position,eventId,streamId,clientId,type,actorId,actorName,correlationId,ip,recordedAt,outcome,command,status,reason',
    );
    expect(lines.some((line) => line.includes(',refused,POST /api/v1/clients,403,Forbidden'))).toBe(true);
    expect(lines.slice(1).some((line) => line.includes(',ClientRegistered,'))).toBe(true);
    const jsonl = await fetch(`${ledger.url}/api/v1/audit/export?format=jsonl`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const entries = (await jsonl.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { position: string });
    expect(entries.length).toBe(lines.length - 1);
    expect(entries.map((e) => e.position)).toEqual([...entries.map((e) => e.position)].sort());
  });

  it('answers a client as it was at a time or a position', async () => {
    const created = await post('/clients', { name: 'Epsilon', industry: 'dental', size: '1-10' });
    const id = created.body.data.clientId!;
    const renamed = await ledger.request<{ meta: { position: string } }>('PUT', `/clients/${id}`, {
      token: admin.accessToken,
      body: { name: 'Epsilon Dental' },
    });
    const then = await get<{ data: { name: string } }>(
      `/clients/${id}?asOf=${encodeURIComponent(created.body.meta.position)}`,
    );
    expect(then.body.data.name).toBe('Epsilon');
    const now = await get<{ data: { name: string } }>(
      `/clients/${id}?asOf=${encodeURIComponent(renamed.body.meta.position)}`,
    );
    expect(now.body.data.name).toBe('Epsilon Dental');
    // As people type it, colons unencoded.
    expect((await get(`/clients/${id}?asOf=2000-01-01T00:00:00Z`)).status).toBe(404);
    expect((await get(`/clients/${id}?asOf=whenever`)).status).toBe(400);
  });

  it('lists policies with every version and its review history', async () => {
    const clientId = clientIds[0]!;
    const context = {
      name: 'Alpha Clinic',
      industry: 'health',
      size: '11-50',
      dataTypes: ['phi'],
      aiTools: ['Chat'],
      jurisdictions: ['US'],
    };
    const generated = await post('/policies/generate', { clientId, frameworkId: 'hipaa', companyContext: context });
    const policyId = generated.body.data.policyId!;
    await ledger.request('PUT', `/policies/${policyId}`, {
      token: admin.accessToken,
      body: { content: '# Policy\n\nVersion two.' },
    });
    await post(`/policies/${policyId}/submit`, { comment: 'ready' });
    const reviewer = tokenFor('compliance_officer', clientId);
    await post(`/policies/${policyId}/approve`, { comment: 'fine' }, reviewer);
    const published = await post(`/policies/${policyId}/publish`, {}, reviewer);
    const headers = { 'X-Min-Position': published.body.meta.position };
    const list = await get<List<{ policyId: string; status: string; version: number; publishedVersion: number }>>(
      `/policies?clientId=${clientId}&status=published`,
      admin.accessToken,
      headers,
    );
    expect(list.body.data).toEqual([
      expect.objectContaining({ policyId, status: 'published', version: 2, publishedVersion: 2 }),
    ]);
    const sorted = await get<List<{ title: string }>>(`/policies?clientId=${clientId}&sort=title`);
    expect(sorted.body.data.map((p) => p.title)).toEqual([...sorted.body.data.map((p) => p.title)].sort());
    expect((await get(`/policies?sort=sideways`)).status).toBe(400);
    const one = await get<{ data: { content: string } }>(`/policies/${policyId}`, admin.accessToken, headers);
    expect(one.body.data.content).toBe('# Policy\n\nVersion two.');
    const versions = await get<List<{ version: number; history: Array<{ action: string; comment: string | null }> }>>(
      `/policies/${policyId}/versions`,
      admin.accessToken,
      headers,
    );
    expect(versions.body.data.map((v) => [v.version, v.history.map((h) => h.action)])).toEqual([
      [1, ['generated']],
      [2, ['edited', 'submitted', 'approved', 'published']],
    ]);
    expect((await get(`/policies/${policyId}`, tokenFor('client_admin', clientIds[1]!))).status).toBe(404);
  });

  it('lists evidence by freshness: expired, expiring within 30 days, valid', async () => {
    const clientId = clientIds[0]!;
    const day = 86_400_000;
    const upload = async (title: string, expiresAt: Date) => {
      const form = new FormData();
      for (const [name, value] of Object.entries({
        clientId,
        title,
        validFrom: '2024-01-01',
        expiresAt: expiresAt.toISOString(),
      }))
        form.append(name, value);
      form.append('file', new Blob([`${title} report`], { type: 'text/plain' }), `${title}.txt`);
      const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.accessToken}` },
        body: form,
      });
      return (await response.json()) as { data: { evidenceId: string }; meta: { position: string } };
    };
    await upload('Old pen test', new Date(Date.now() - 10 * day));
    await upload('Access review', new Date(Date.now() + 10 * day));
    const last = await upload('ISO certificate', new Date(Date.now() + 400 * day));
    const headers = { 'X-Min-Position': last.meta.position };
    const titles = async (freshness: string) =>
      (
        await get<List<{ title: string; freshness: string }>>(
          `/evidence?clientId=${clientId}&freshness=${freshness}`,
          admin.accessToken,
          headers,
        )
      ).body.data.map((e) => e.title);
    expect(await titles('expired')).toEqual(['Old pen test']);
    expect(await titles('expiring')).toEqual(['Access review']);
    expect(await titles('valid')).toEqual(['ISO certificate']);
    const byTitle = await get<List<{ title: string }>>(`/evidence?clientId=${clientId}&sort=title`);
    expect(byTitle.body.data.map((e) => e.title)).toEqual(['Access review', 'ISO certificate', 'Old pen test']);
    const newest = await get<List<{ title: string }>>(`/evidence?clientId=${clientId}&sort=uploadedAt&size=1`);
    expect(newest.body.data.map((e) => e.title)).toEqual(['ISO certificate']);
    expect(
      (
        await get<List<unknown>>(
          `/evidence?clientId=${clientId}&from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
        )
      ).body.meta.total,
    ).toBe(0);
    const one = await get<{ data: { freshness: string; size: number } }>(
      `/evidence/${last.data.evidenceId}`,
      admin.accessToken,
      headers,
    );
    expect(one.body.data).toMatchObject({ freshness: 'valid', size: 'ISO certificate report'.length });
  });

  it("lists the AI service registry with a client's approvals and its use of each", async () => {
    const clientId = clientIds[0]!;
    const service = await post('/ai-services', {
      name: 'Aardvark AI',
      vendor: 'V',
      models: ['a-1'],
      baaSigned: false,
      dpaSigned: true,
      dataRetentionDays: 7,
    });
    const aiServiceId = service.body.data.aiServiceId!;
    await post(`/clients/${clientId}/ai-services/${aiServiceId}/approve`, { reason: 'trial' });
    await post('/analyze/prompt', { clientId, aiServiceId, prompt: 'Plain question about invoices' });
    const blocked = await post('/analyze/prompt', { clientId, aiServiceId, prompt: 'key AKIAIOSFODNN7EXAMPLE' });
    const list = await get<List<{ name: string; approval: string | null; usageLast30Days: Record<string, number> }>>(
      `/ai-services?clientId=${clientId}`,
      admin.accessToken,
      {
        'X-Min-Position': blocked.body.meta.position,
      },
    );
    expect(list.body.data.find((s) => s.name === 'Aardvark AI')).toMatchObject({
      approval: 'approved',
      usageLast30Days: { analysed: 2, blocked: 1, redacted: 0, warned: 0 },
    });
    const registry = await get<List<{ name: string; approval: string | null }>>('/ai-services');
    expect(registry.body.data.every((s) => s.approval === null)).toBe(true);

    const analyses = await get<
      List<{
        aiServiceId: string;
        decision: string;
        entities: Array<{ type: string; count: number }>;
        findings: Array<{ entity: string; start: number }>;
      }>
    >(
      `/prompt-analyses?clientId=${clientId}&aiServiceId=${aiServiceId}`,
      admin.accessToken,
      // Its own projection: reaching the position for the AI services list says nothing about this one.
      { 'X-Min-Position': blocked.body.meta.position },
    );
    expect(analyses.body.data.map((a) => a.decision)).toEqual(['block', 'allow']);
    expect(analyses.body.data[0]!.findings).toEqual([expect.objectContaining({ entity: 'AWS_ACCESS_KEY', start: 4 })]);
    expect(analyses.body.data.map((a) => a.entities)).toEqual([[{ type: 'AWS_ACCESS_KEY', count: 1 }], []]);
    expect(JSON.stringify(analyses.body)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    const blockedOnly = await get<List<{ decision: string }>>(
      `/prompt-analyses?clientId=${clientId}&decision=block&entity=AWS_ACCESS_KEY`,
    );
    expect(blockedOnly.body.meta.total).toBe(1);
  });

  it('summarises each client for the MSP: scores and trend, violations, AI usage, policies, evidence', async () => {
    const clientId = clientIds[0]!;
    let position = '';
    for (const result of ['compliant', 'non_compliant']) {
      const started = await post('/assessments', { clientId, frameworkId: 'soc2', title: `SOC 2 (${result})` });
      const path = `/assessments/${started.body.data.assessmentId}`;
      await ledger.request('PUT', `${path}/requirements/CC6.1`, { token: admin.accessToken, body: { result } });
      const submitted = await ledger.request<{ meta: { position: string } }>('POST', `${path}/submit`, {
        token: admin.accessToken,
        body: {},
      });
      position = submitted.body.meta.position;
    }
    // Another client's assessment, scored in the same pass: each keeps to its own answers.
    const beta = await post('/assessments', { clientId: clientIds[1]!, frameworkId: 'soc2', title: 'SOC 2 (Beta)' });
    await ledger.request('PUT', `/assessments/${beta.body.data.assessmentId}/requirements/CC6.1`, {
      token: admin.accessToken,
      body: { result: 'compliant' },
    });
    position = (
      await ledger.request<{ meta: { position: string } }>(
        'POST',
        `/assessments/${beta.body.data.assessmentId}/submit`,
        { token: admin.accessToken, body: {} },
      )
    ).body.meta.position;
    const summary = await get<{
      data: Array<{
        clientId: string;
        name: string;
        scores: Array<{ frameworkId: string; score: number; previousScore: number; trend: number }>;
        violations: { last24h: Record<string, number>; last30d: Record<string, number> };
        aiUsage: Array<{ name: string; analysed: number }>;
        policies: Record<string, number>;
        evidence: { expiringSoon: number; expired: number };
      }>;
    }>('/msp/summary', admin.accessToken, { 'X-Min-Position': position });
    expect(summary.status).toBe(200);
    const alpha = summary.body.data.find((c) => c.clientId === clientId)!;
    expect(alpha.scores).toEqual([
      expect.objectContaining({
        frameworkId: 'soc2',
        previousScore: expect.any(Number) as number,
        trend: expect.any(Number) as number,
      }),
    ]);
    expect(alpha.scores[0]!.trend).toBeLessThan(0);
    const betaScore = summary.body.data.find((c) => c.clientId === clientIds[1])!.scores[0]!;
    expect(betaScore.score).toBeGreaterThan(alpha.scores[0]!.score);
    expect(alpha.violations.last24h.high).toBeGreaterThanOrEqual(1);
    expect(alpha.violations.last24h.critical).toBeGreaterThanOrEqual(1);
    expect(alpha.aiUsage).toContainEqual(expect.objectContaining({ name: 'Aardvark AI', analysed: 2 }));
    expect(alpha.policies.published).toBe(1);
    expect(alpha.evidence).toEqual({ expiringSoon: 1, expired: 1, retired: 0 });
    expect(summary.body.data.map((c) => c.name)).not.toContain('Gamma Labs'); // archived
    const scoped = await get<{ data: Array<{ clientId: string }> }>(
      '/msp/summary',
      tokenFor('client_admin', clientIds[1]!),
    );
    expect(scoped.body.data.map((c) => c.clientId)).toEqual([clientIds[1]]);
  });

  it('publishes projection lag for Prometheus and in /ready', async () => {
    const metrics = await fetch(`${ledger.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/ledger_projection_lag_events\{projection="clients"\} \d+/);
    expect(metrics).toMatch(/ledger_projection_lag_seconds\{projection="audit-log"\}/);
    const ready = await fetch(`${ledger.url}/ready`).then(
      (r) => r.json() as Promise<{ checks: Record<string, Record<string, unknown>> }>,
    );
    expect(ready.checks.projections).toMatchObject({
      status: 'up',
      clients: { version: clientsProjection.version, lagEvents: expect.any(Number) as number },
    });
  });

  it('reports events held back from readers by a transaction left open elsewhere on the server', async () => {
    const blocker = await openTransactionElsewhere();
    try {
      const created = await post('/clients', { name: 'Held back', industry: 'x', size: '1-10' });
      expect(created.status).toBe(201); // commands go on
      const ready = await fetch(`${ledger.url}/ready`).then(
        (r) => r.json() as Promise<{ checks: Record<string, { heldBackEvents: number; heldBackSeconds: number }> }>,
      );
      expect(ready.checks['event-log']).toMatchObject({ status: 'up', heldBackSeconds: expect.any(Number) as number });
      expect(ready.checks['event-log']!.heldBackEvents).toBeGreaterThanOrEqual(1);
      expect(await fetch(`${ledger.url}/metrics`).then((r) => r.text())).toMatch(
        /^ledger_event_log_held_back_events [1-9]\d*$/m,
      );
    } finally {
      await blocker.release();
    }
  });
});
