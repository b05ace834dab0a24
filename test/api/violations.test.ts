import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';
import { approvedService, createClient, inviteMember, type Member } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface List<T> {
  data: T[];
  meta: { total: number; page: number; size: number; pages: number };
}
interface ShownViolation {
  violationId: string;
  clientId: string;
  kind: string;
  severity: string;
  status: string;
  assigneeId: string | null;
  userRef: string | null;
  entities: Array<{ type: string; count: number }>;
  resolutionNote: string | null;
  timeline: Array<{ type: string; actorId: string | null; note: string | null; assigneeId: string | null }>;
  comments: Array<{ commentId: string; authorId: string; text: string }>;
}
interface Problem {
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

describe.skipIf(skip)(`violations as a workflow, over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  let other: Awaited<ReturnType<TestLedger['signUp']>>;
  let clinic: string;
  let agency: string;
  let serviceId: string;
  let officer: Member;
  let otherOfficer: Member;
  let auditor: Member;
  let position = '';

  const request = <T>(method: string, path: string, body?: unknown, token = admin.accessToken) =>
    ledger.request<T>(method, path, { token, body, headers: position ? { 'X-Min-Position': position } : {} });
  const get = <T>(path: string, token = admin.accessToken) => request<T>('GET', path, undefined, token);
  const post = async <T = { data: Record<string, string>; meta: { position: string } }>(
    path: string,
    body: unknown,
    token = admin.accessToken,
  ) => {
    const answer = await ledger.request<T>('POST', path, { token, body });
    const written = (answer.body as { meta?: { position?: string | null } }).meta?.position;
    if (written) position = written;
    return answer;
  };
  /** A prompt with an SSN for the HIPAA clinic: blocked, a high sensitive-data violation. */
  const violationFor = async (clientId: string, prompt: string, userRef?: string) => {
    const analysed = await post('/analyze/prompt', {
      clientId,
      aiServiceId: serviceId,
      prompt,
      ...(userRef ? { userRef } : {}),
    });
    expect(analysed.status).toBe(201);
    const list = await get<List<ShownViolation & { analysisId: string }>>(`/violations?clientId=${clientId}&size=100`);
    const found = list.body.data.find((v) => v.analysisId === analysed.body.data.analysisId);
    expect(found, JSON.stringify(list.body)).toBeDefined();
    return found!;
  };

  beforeAll(async () => {
    ledger = await startTestLedger({ env: { QUERY_WAIT_MS: '5000' } });
    admin = await ledger.signUp();
    other = await ledger.signUp('other');
    clinic = await createClient(ledger, admin.accessToken, 'Riverside Clinic', ['hipaa']);
    agency = await createClient(ledger, admin.accessToken, 'Harbour Agency', ['gdpr']);
    serviceId = await approvedService(ledger, admin.accessToken, [clinic, agency]);
    officer = await inviteMember(ledger, admin.accessToken, 'compliance_officer', clinic, 'Olive Officer');
    otherOfficer = await inviteMember(ledger, admin.accessToken, 'compliance_officer', agency, 'Oscar Other');
    auditor = await inviteMember(ledger, admin.accessToken, 'auditor', undefined, 'Audrey Auditor');
  });
  afterAll(() => ledger?.close());

  it('shows a raised violation open, with the user who sent the prompt and its entities as a list', async () => {
    const raised = await violationFor(clinic, 'Patient Maria Garcia, SSN 219-45-6781.', 'employee-4711');
    const one = await get<{ data: ShownViolation }>(`/violations/${raised.violationId}`);
    expect(one.status).toBe(200);
    expect(one.body.data).toMatchObject({
      violationId: raised.violationId,
      kind: 'sensitive-data',
      status: 'open',
      assigneeId: null,
      userRef: 'employee-4711',
      entities: expect.arrayContaining([{ type: 'US_SSN', count: 1 }]) as unknown,
      timeline: [expect.objectContaining({ type: 'raised' })],
      comments: [],
    });
    expect(one.body.data).not.toHaveProperty('entityCounts');
    // The user reference is sealed in the log, never stored in the clear.
    expect(JSON.stringify(await ledger.storedEvents())).not.toContain('employee-4711');
  });

  it('is acknowledged, assigned, resolved with a note, reopened and commented on, each in its timeline', async () => {
    const { violationId } = await violationFor(clinic, 'SSN 219-45-6781 for the chart.');
    const acknowledged = await post<{ data: { status: string }; meta: { position: string } }>(
      `/violations/${violationId}/acknowledge`,
      {
        note: 'Looking into it',
      },
    );
    expect(acknowledged.status).toBe(200);
    expect(acknowledged.body.data).toEqual({ violationId, status: 'acknowledged', assigneeId: null });

    const again = await post<Problem>(`/violations/${violationId}/acknowledge`, {});
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(again.body.detail).toMatch(/is acknowledged/);

    const assigned = await post<{ data: { assigneeId: string } }>(`/violations/${violationId}/assign`, {
      assigneeId: officer.userId,
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body.data.assigneeId).toBe(officer.userId);

    const noNote = await post<Problem>(`/violations/${violationId}/resolve`, {});
    expect(noNote.status).toBe(400);
    expect(JSON.stringify(noNote.body.errors)).toMatch(/note/);
    const blankNote = await post<Problem>(`/violations/${violationId}/resolve`, { note: '   ' });
    expect(blankNote.status).toBe(422);
    expect(blankNote.body.errors?.[0]?.field).toBe('note');

    const resolved = await post<{ data: { status: string } }>(
      `/violations/${violationId}/resolve`,
      { note: 'Retrained the front desk' },
      officer.accessToken,
    );
    expect(resolved.status).toBe(200);
    expect(resolved.body.data.status).toBe('resolved');
    for (const action of ['resolve', 'acknowledge']) {
      const refused = await post<Problem>(`/violations/${violationId}/${action}`, { note: 'x' });
      expect(refused.status, action).toBe(409);
      expect(refused.body.detail).toMatch(/is resolved/);
    }
    const assignResolved = await post<Problem>(`/violations/${violationId}/assign`, { assigneeId: admin.userId });
    expect(assignResolved.status).toBe(409);
    expect(assignResolved.body.detail).toMatch(/is resolved/);

    const whileResolved = await get<{ data: ShownViolation }>(`/violations/${violationId}`);
    expect(whileResolved.body.data).toMatchObject({ status: 'resolved', resolutionNote: 'Retrained the front desk' });

    expect((await post(`/violations/${violationId}/reopen`, { note: 'It happened again' })).body.data).toMatchObject({
      status: 'open',
    });
    const reopenOpen = await post<Problem>(`/violations/${violationId}/reopen`, {});
    expect(reopenOpen.status).toBe(409);
    expect(reopenOpen.body.detail).toMatch(/is open/);

    const comment = await post<{ data: { commentId: string } }>(
      `/violations/${violationId}/comments`,
      { text: 'Called the clinic manager' },
      officer.accessToken,
    );
    expect(comment.status).toBe(201);

    const shown = await get<{ data: ShownViolation }>(`/violations/${violationId}`);
    expect(shown.body.data).toMatchObject({ status: 'open', assigneeId: officer.userId, resolutionNote: null });
    expect(shown.body.data.timeline.map((step) => step.type)).toEqual([
      'raised',
      'acknowledged',
      'assigned',
      'resolved',
      'reopened',
      'commented',
    ]);
    expect(shown.body.data.timeline[1]).toMatchObject({ actorId: admin.userId, note: 'Looking into it' });
    expect(shown.body.data.timeline[2]).toMatchObject({ assigneeId: officer.userId });
    expect(shown.body.data.timeline[3]).toMatchObject({ actorId: officer.userId, note: 'Retrained the front desk' });
    // As it was right after the acknowledgement, replayed from the log.
    const then = await get<{ data: ShownViolation }>(
      `/violations/${violationId}?asOf=${acknowledged.body.meta.position}`,
    );
    expect(then.status).toBe(200);
    expect(then.body.data).toMatchObject({ status: 'acknowledged', assigneeId: null });
    expect(then.body.data.timeline.map((step) => step.type)).toEqual(['raised', 'acknowledged']);
    expect(shown.body.data.comments).toEqual([
      expect.objectContaining({
        commentId: comment.body.data.commentId,
        authorId: officer.userId,
        text: 'Called the clinic manager',
      }),
    ]);
  });

  it("assigns only to an active user of the tenant who may see the violation's client", async () => {
    const { violationId } = await violationFor(clinic, 'SSN 219-45-6781 again.');
    for (const assigneeId of [otherOfficer.userId, other.userId, randomUUID()]) {
      const refused = await post<Problem>(`/violations/${violationId}/assign`, { assigneeId });
      expect(refused.status, assigneeId).toBe(422);
      expect(refused.body.errors?.[0]?.field).toBe('assigneeId');
    }
    expect((await post(`/violations/${violationId}/assign`, { assigneeId: auditor.userId })).status).toBe(200);
  });

  it("keeps other clients' and tenants' violations out of reach, and needs violation:write", async () => {
    const { violationId } = await violationFor(clinic, 'SSN 219-45-6781, once more.');
    for (const token of [otherOfficer.accessToken, other.accessToken]) {
      expect((await get(`/violations/${violationId}`, token)).status).toBe(404);
      expect((await post(`/violations/${violationId}/acknowledge`, {}, token)).status).toBe(404);
      expect((await post(`/violations/${violationId}/comments`, { text: 'x' }, token)).status).toBe(404);
    }
    expect((await post(`/violations/${violationId}/acknowledge`, {}, auditor.accessToken)).status).toBe(403);
    expect((await post(`/violations/${randomUUID()}/acknowledge`, {})).status).toBe(404);
    expect((await get(`/violations/${violationId}`, officer.accessToken)).status).toBe(200);
    expect((await get(`/violations/${violationId}`, auditor.accessToken)).status).toBe(200);
  });

  it('filters by several severities and statuses at once, and by entity type', async () => {
    const ssn = await violationFor(clinic, 'SSN 219-45-6781 for the claim.');
    // An unregistered service: an unapproved-ai-service violation with no entities.
    const unapproved = await post('/analyze/prompt', { clientId: agency, aiServiceId: randomUUID(), prompt: 'hello' });
    expect(unapproved.status).toBe(201);
    await post(`/violations/${ssn.violationId}/resolve`, { note: 'Handled' });

    const all = await get<List<ShownViolation>>('/violations?size=100');
    const severities = [...new Set(all.body.data.map((v) => v.severity))];
    expect(severities.length).toBeGreaterThanOrEqual(1);
    const several = await get<List<ShownViolation>>(`/violations?severity=${severities.join(',')}&size=100`);
    expect(several.status).toBe(200);
    expect(several.body.meta.total).toBe(all.body.meta.total);
    const high = await get<List<ShownViolation>>('/violations?severity=high,critical&size=100');
    expect(high.status).toBe(200);
    expect(high.body.data.every((v) => ['high', 'critical'].includes(v.severity))).toBe(true);
    expect(high.body.meta.total).toBe(all.body.data.filter((v) => ['high', 'critical'].includes(v.severity)).length);

    const resolved = await get<List<ShownViolation>>('/violations?status=resolved&size=100');
    expect(resolved.body.data.map((v) => v.violationId)).toContain(ssn.violationId);
    expect(resolved.body.data.every((v) => v.status === 'resolved')).toBe(true);
    const unresolved = await get<List<ShownViolation>>('/violations?status=open,acknowledged&size=100');
    expect(unresolved.body.meta.total + resolved.body.meta.total).toBe(all.body.meta.total);

    const bySsn = await get<List<ShownViolation>>('/violations?entity=US_SSN&size=100');
    expect(bySsn.body.data.length).toBeGreaterThanOrEqual(1);
    expect(bySsn.body.data.every((v) => v.entities.some((e) => e.type === 'US_SSN'))).toBe(true);
    const either = await get<List<ShownViolation>>('/violations?entity=US_SSN,PERSON&kind=sensitive-data&size=100');
    expect(either.body.meta.total).toBeGreaterThanOrEqual(bySsn.body.meta.total);
    const none = await get<List<ShownViolation>>('/violations?entity=IBAN_CODE');
    expect(none.body.data).toEqual([]);

    const bad = await get<Problem>('/violations?severity=high,urgent');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.errors?.map((e) => e.field)).toEqual(['severity']);
    expect(bad.body.errors?.[0]?.message).toMatch(/"urgent" is not a severity/);
    expect((await get<Problem>('/violations?entity=us_ssn')).status).toBe(400);
  });

  it('counts open and resolved violations in the compliance report and the MSP summary', async () => {
    const all = await get<List<ShownViolation>>(`/violations?clientId=${clinic}&size=100`);
    const resolvedNow = all.body.data.filter((v) => v.status === 'resolved').length;
    const openBySeverity: Record<string, number> = {};
    for (const v of all.body.data.filter((v) => v.status !== 'resolved'))
      openBySeverity[v.severity] = (openBySeverity[v.severity] ?? 0) + 1;
    expect(resolvedNow).toBeGreaterThanOrEqual(1);
    const report = await get<{ data: { violations: { total: number; open: number; resolved: number } } }>(
      `/reports/compliance?clientId=${clinic}&frameworkId=hipaa`,
    );
    expect(report.status).toBe(200);
    expect(report.body.data.violations).toMatchObject({
      total: all.body.meta.total,
      open: all.body.meta.total - resolvedNow,
      resolved: resolvedNow,
    });
    const summary = await get<{ data: Array<{ clientId: string; violations: { open: Record<string, number> } }> }>(
      '/msp/summary',
    );
    expect(summary.status).toBe(200);
    expect(summary.body.data.find((c) => c.clientId === clinic)!.violations.open).toMatchObject(openBySeverity);
  });
});
