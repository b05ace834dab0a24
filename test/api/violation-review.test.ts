/**
 * What an outside review of the violation workflow found: ETags that its GET did not answer and If-Match its commands
 * did not take; audit entries of resolutions and comments without their words; an MSP user's refused command on a
 * client filed under no client; and /history/diff that showed workflow steps only as counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';
import { approvedService, createClient, inviteMember, uploadEvidence, type Member } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Problem {
  type: string;
  detail: string;
  currentETag?: string | null;
  errors?: Array<{ field: string; message: string }>;
}
interface AuditEntry {
  type: string;
  outcome: string;
  streamId: string;
  clientId: string | null;
  reason: string | null;
  refusal: { path: string; status: number } | null;
}
interface Step {
  violationId: string;
  clientId: string | null;
  step: string;
  fromStatus: string;
  toStatus: string;
  assigneeId: string | null;
  note: string | null;
  actorId: string;
}

describe.skipIf(skip)(`the violation workflow, as reviewed${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  let clinic: string;
  let agency: string;
  let serviceId: string;
  let officer: Member;
  let position = '';

  const post = async <T = { data: Record<string, string>; meta: { position: string } }>(
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
    token = admin.accessToken,
  ) => {
    const answer = await ledger.request<T>('POST', path, { token, body, headers });
    const written = (answer.body as { meta?: { position?: string | null } } | undefined)?.meta?.position;
    if (written) position = written;
    return answer;
  };
  const get = <T>(path: string, token = admin.accessToken) =>
    ledger.request<T>('GET', path, { token, headers: position ? { 'X-Min-Position': position } : {} });

  /** A prompt with an SSN for a client: a sensitive-data violation, as listed. */
  const violationFor = async (clientId: string, prompt: string) => {
    const analysed = await post('/analyze/prompt', { clientId, aiServiceId: serviceId, prompt });
    expect(analysed.status).toBe(201);
    const list = await get<{ data: Array<{ violationId: string; analysisId: string }> }>(
      `/violations?clientId=${clientId}&size=100`,
    );
    const found = list.body.data.find((v) => v.analysisId === analysed.body.data.analysisId);
    expect(found, JSON.stringify(list.body)).toBeDefined();
    return found!.violationId;
  };

  /** Audit entries as they reach the read model (refusals are recorded once their answer has gone). */
  const auditUntil = async (query: string, found: (entries: AuditEntry[]) => boolean) => {
    const deadline = Date.now() + 10_000;
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      const answer = await get<{ data: AuditEntry[] }>(`/audit?${query}&size=100`);
      expect(answer.status).toBe(200);
      if (found(answer.body.data) || Date.now() > deadline) return answer.body.data;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };

  beforeAll(async () => {
    ledger = await startTestLedger({ env: { QUERY_WAIT_MS: '5000' } });
    admin = await ledger.signUp();
    clinic = await createClient(ledger, admin.accessToken, 'Lakeside Clinic', ['hipaa']);
    agency = await createClient(ledger, admin.accessToken, 'Pier Agency', ['gdpr']);
    serviceId = await approvedService(ledger, admin.accessToken, [clinic, agency]);
    officer = await inviteMember(ledger, admin.accessToken, 'compliance_officer', clinic, 'Olive Officer');
  });
  afterAll(() => ledger?.close());

  it('answers one ETag from the GET and every workflow command, "0" before the first step, and takes If-Match', async () => {
    const violationId = await violationFor(clinic, 'Patient SSN 219-45-6781 in the chart.');
    const path = `/violations/${violationId}`;
    const fresh = await get(path);
    expect(fresh.status).toBe(200);
    // No one has acted on it yet: its workflow stream is unwritten, at "0".
    expect(fresh.headers.get('etag')).toBe('"0"');

    // A stale tag on the very first step is refused, naming "0".
    const early = await post<Problem>(`${path}/acknowledge`, {}, { 'If-Match': '"1"' });
    expect(early.status).toBe(412);
    expect(early.body.currentETag).toBe('"0"');
    expect(early.headers.get('etag')).toBe('"0"');

    const acknowledged = await post(`${path}/acknowledge`, { note: 'Looking' }, { 'If-Match': '"0"' });
    expect(acknowledged.status).toBe(200);
    expect(acknowledged.headers.get('etag')).toBe('"1"');
    expect((await get(path)).headers.get('etag')).toBe('"1"');

    const commented = await post(`${path}/comments`, { text: 'Called the clinic' }, { 'If-Match': '"1"' });
    expect(commented.status).toBe(201);
    expect(commented.headers.get('etag')).toBe('"2"');
    const assigned = await post(`${path}/assign`, { assigneeId: officer.userId }, { 'If-Match': '"2"' });
    expect(assigned.status).toBe(200);
    expect(assigned.headers.get('etag')).toBe('"3"');
    const read = await get(path);
    expect(read.headers.get('etag')).toBe('"3"');

    // A stale If-Match is a 412 naming the ETag the GET answers; nothing is written.
    const stale = await post<Problem>(`${path}/resolve`, { note: 'Fixed' }, { 'If-Match': '"9"' });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(stale.body).toMatchObject({ currentETag: '"3"', errors: [{ field: 'If-Match' }] });
    const still = await get<{ data: { status: string } }>(path);
    expect(still.body.data.status).toBe('acknowledged');
    expect(still.headers.get('etag')).toBe(stale.body.currentETag);

    const resolved = await post(`${path}/resolve`, { note: 'Fixed' }, { 'If-Match': still.headers.get('etag')! });
    expect(resolved.status).toBe(200);
    expect(resolved.headers.get('etag')).toBe('"4"');
    const reopened = await post(`${path}/reopen`, {}, { 'If-Match': '"4"' });
    expect(reopened.status).toBe(200);
    expect(reopened.headers.get('etag')).toBe('"5"');
    expect((await get(path)).headers.get('etag')).toBe('"5"');

    // `*`: the violation exists, acted on or not.
    const other = await violationFor(clinic, 'SSN 219-45-6781 again.');
    expect((await post(`/violations/${other}/comments`, { text: 'Seen' }, { 'If-Match': '*' })).status).toBe(201);
    // A read of the past is history: no ETag.
    const past = await get(`${path}?asOf=${encodeURIComponent(resolved.body.meta.position)}`);
    expect(past.status).toBe(200);
    expect(past.headers.get('etag')).toBeNull();
  });

  it('shows the note of a resolution and the text of a comment as the reason in the audit log and its CSV', async () => {
    const violationId = await violationFor(clinic, 'SSN 219-45-6781 for the audit.');
    expect((await post(`/violations/${violationId}/resolve`, { note: 'Rotated the chart export' })).status).toBe(200);
    expect((await post(`/violations/${violationId}/comments`, { text: 'Trained the front desk' })).status).toBe(201);
    const stream = `${admin.tenantId}/violation/${violationId}`;
    for (const [type, reason] of [
      ['ViolationResolved', 'Rotated the chart export'],
      ['ViolationCommented', 'Trained the front desk'],
    ] as const) {
      const entries = await get<{ data: AuditEntry[] }>(`/audit?type=${type}&size=100`);
      expect(entries.body.data.find((e) => e.streamId === stream)).toMatchObject({ reason, clientId: clinic });
    }
    const csv = await fetch(`${ledger.url}/api/v1/audit/export?format=csv`, {
      headers: { authorization: `Bearer ${admin.accessToken}`, 'X-Min-Position': position },
    });
    expect(csv.status).toBe(200);
    const text = await csv.text();
    expect(text).toContain('Rotated the chart export');
    expect(text).toContain('Trained the front desk');
  });

  it("files an MSP user's refused command under the client it aimed at", async () => {
    // A policy with a pattern that is not safe to run: refused (422), on the clinic.
    const unsafe = await ledger.request('PUT', `/clients/${clinic}/ai-policy`, {
      token: admin.accessToken,
      body: {
        rules: [{ entity: 'US_SSN', minScore: 0.5, action: 'block' }],
        unapprovedService: 'block',
        customPatterns: [{ entity: 'BAD', pattern: '(a)\\1', score: 0.5 }],
      },
    });
    expect(unsafe.status).toBe(422);
    // A step the violation's state refuses (409): the violation's client.
    const violationId = await violationFor(agency, 'SSN 219-45-6781 at the agency.');
    expect((await post(`/violations/${violationId}/reopen`, {})).status).toBe(409);

    // A command whose body names the client (an assessment of an archived client: 404).
    const archived = await createClient(ledger, admin.accessToken, 'Closed Clinic', ['hipaa']);
    expect((await ledger.request('DELETE', `/clients/${archived}`, { token: admin.accessToken })).status).toBe(200);
    const started = await post('/assessments', { clientId: archived, frameworkId: 'hipaa', title: 'Late' });
    expect(started.status).toBe(404);

    // A command on one of the client's resources whose path and body name no client: mapping evidence to an id that
    // is in none of its catalogs (422).
    const uploaded = await uploadEvidence(ledger, admin.accessToken, agency, 'Agency DPA register');
    const evidenceId = (uploaded.body.data as { evidenceId: string }).evidenceId;
    const mapped = await post(`/evidence/${evidenceId}/map`, { requirementIds: ['no-such-requirement'] });
    expect(mapped.status).toBe(422);

    const refusedOn = (path: string) => (entries: AuditEntry[]) => entries.find((e) => e.refusal?.path.endsWith(path));
    const policyPath = `/clients/${clinic}/ai-policy`;
    const reopenPath = `/violations/${violationId}/reopen`;
    const mapPath = `/evidence/${evidenceId}/map`;
    const entries = await auditUntil(
      'outcome=refused',
      (all) =>
        !!refusedOn(policyPath)(all) &&
        !!refusedOn(reopenPath)(all) &&
        !!refusedOn('/assessments')(all) &&
        !!refusedOn(mapPath)(all),
    );
    expect(refusedOn(mapPath)(entries)).toMatchObject({ type: 'CommandRefused', clientId: agency });
    expect(refusedOn('/assessments')(entries)).toMatchObject({ type: 'CommandRefused', clientId: archived });
    expect(refusedOn(policyPath)(entries)).toMatchObject({ type: 'CommandRefused', clientId: clinic });
    expect(refusedOn(reopenPath)(entries)).toMatchObject({ type: 'CommandRefused', clientId: agency });
  });

  it('answers racing steps as one after another would: a stale If-Match is a 412 naming the ETag, a second resolve a 409 saying why', async () => {
    const commented = await violationFor(clinic, 'SSN 219-45-6781 for thirty comments.');
    const tag = (await get(`/violations/${commented}`)).headers.get('etag')!;
    const comments = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        post(`/violations/${commented}/comments`, { text: `Note ${i}` }, { 'If-Match': tag }),
      ),
    );
    const statuses = comments.map((c) => c.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(29).fill(412)]);
    const winner = comments.find((c) => c.status === 201)!.headers.get('etag');
    for (const lost of comments.filter((c) => c.status === 412))
      expect(lost.body).toMatchObject({ currentETag: winner });

    const resolved = await violationFor(clinic, 'SSN 219-45-6781 for thirty resolutions.');
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => post(`/violations/${resolved}/resolve`, { note: 'Fixed' })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array<number>(29).fill(409)]);
    for (const refused of answers.filter((a) => a.status === 409))
      expect(JSON.stringify(refused.body)).toMatch(/resolved/);
    const detail = await get<{ data: { timeline: Array<{ type: string }> } }>(`/violations/${resolved}`);
    expect(detail.body.data.timeline.filter((t) => t.type === 'resolved')).toHaveLength(1);
  });

  it('lists the workflow steps of the period in /history/diff, status from and to, client-scoped', async () => {
    const raisedBefore = await violationFor(clinic, 'SSN 219-45-6781 before the period.');
    const elsewhere = await violationFor(agency, 'SSN 219-45-6781 elsewhere.');
    const start = position;
    expect((await post(`/violations/${raisedBefore}/acknowledge`, {})).status).toBe(200);
    expect((await post(`/violations/${raisedBefore}/assign`, { assigneeId: officer.userId })).status).toBe(200);
    expect((await post(`/violations/${raisedBefore}/resolve`, { note: 'Done' })).status).toBe(200);
    expect((await post(`/violations/${raisedBefore}/reopen`, { note: 'Again' })).status).toBe(200);
    expect((await post(`/violations/${elsewhere}/resolve`, { note: 'Agency fix' })).status).toBe(200);
    const end = position;

    const diff = await get<{ data: { violations: { items: unknown[]; changes: Step[] } } }>(
      `/history/diff?from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}&clientId=${clinic}`,
    );
    expect(diff.status).toBe(200);
    // Raised before the period: not a new violation, but every step it took is there.
    expect(diff.body.data.violations.items).toEqual([]);
    expect(diff.body.data.violations.changes).toMatchObject([
      {
        violationId: raisedBefore,
        clientId: clinic,
        step: 'acknowledged',
        fromStatus: 'open',
        toStatus: 'acknowledged',
      },
      {
        violationId: raisedBefore,
        step: 'assigned',
        fromStatus: 'acknowledged',
        toStatus: 'acknowledged',
        assigneeId: officer.userId,
      },
      { violationId: raisedBefore, step: 'resolved', fromStatus: 'acknowledged', toStatus: 'resolved', note: 'Done' },
      { violationId: raisedBefore, step: 'reopened', fromStatus: 'resolved', toStatus: 'open', note: 'Again' },
    ]);
    expect(diff.body.data.violations.changes.every((c) => c.actorId === admin.userId)).toBe(true);

    // The clinic's officer sees the clinic's steps only, whatever it asks.
    const scoped = await get<{ data: { violations: { changes: Step[] } } }>(
      `/history/diff?from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}`,
      officer.accessToken,
    );
    expect(scoped.status).toBe(200);
    expect(scoped.body.data.violations.changes.map((c) => c.violationId)).toEqual(Array(4).fill(raisedBefore));
    // The MSP sees both clients'.
    const all = await get<{ data: { violations: { changes: Step[] } } }>(
      `/history/diff?from=${encodeURIComponent(start)}&to=${encodeURIComponent(end)}`,
    );
    expect(all.body.data.violations.changes.find((c) => c.violationId === elsewhere)).toMatchObject({
      clientId: agency,
      step: 'resolved',
      fromStatus: 'open',
      toStatus: 'resolved',
      note: 'Agency fix',
    });
  });
});
