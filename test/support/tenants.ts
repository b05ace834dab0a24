import { randomBytes } from 'node:crypto';
import type { TestLedger } from './ledger.js';

export type SignedUp = Awaited<ReturnType<TestLedger['signUp']>>;

/** A real user of a tenant: invited by `by`, accepted from the mail, logged in. */
export interface Member {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

const PASSWORD = 'a perfectly fine password';

function expectStatus(what: string, response: { status: number; body: unknown }, status: number): void {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
}

export async function createClient(
  ledger: TestLedger,
  token: string,
  name: string,
  frameworks: string[] = [],
): Promise<string> {
  const created = await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
    token,
    body: { name, industry: 'healthcare', size: '11-50', frameworks },
  });
  expectStatus(`create client ${name}`, created, 201);
  return created.body.data.clientId;
}

/** Registers an AI service with a BAA and a DPA signed ("Covered Chat") and approves it for each client named. */
export async function approvedService(
  ledger: TestLedger,
  token: string,
  clientIds: readonly string[],
): Promise<string> {
  const registered = await ledger.request<{ data: { aiServiceId: string } }>('POST', '/ai-services', {
    token,
    body: { name: 'Covered Chat', vendor: 'V', models: ['m'], baaSigned: true, dpaSigned: true, dataRetentionDays: 0 },
  });
  expectStatus('register Covered Chat', registered, 201);
  const { aiServiceId } = registered.body.data;
  for (const clientId of clientIds) {
    const approved = await ledger.request('POST', `/clients/${clientId}/ai-services/${aiServiceId}/approve`, {
      token,
      body: { reason: 'BAA and DPA signed' },
    });
    expectStatus('approve Covered Chat', approved, 200);
  }
  return aiServiceId;
}

/** Invites a user with a role (scoped to a client or not), accepts the invitation from its mail and logs in. */
export async function inviteMember(
  ledger: TestLedger,
  by: string,
  role: string,
  clientId?: string,
  name = `The ${role}`,
): Promise<Member> {
  const email = `${role.replace(/_/g, '-')}-${randomBytes(4).toString('hex')}@example.com`;
  const invited = await ledger.request<{ data: { userId: string } }>('POST', '/users/invite', {
    token: by,
    body: { email, role, ...(clientId ? { clientId } : {}) },
  });
  expectStatus(`invite ${role}`, invited, 201);
  const token = /token=([A-Za-z0-9._-]+)/.exec(ledger.lastMailTo(email))![1]!;
  const accepted = await ledger.request('POST', '/users/accept-invite', { body: { token, name, password: PASSWORD } });
  expectStatus(`accept ${role}`, accepted, 200);
  const login = await ledger.request<{ data: { accessToken: string; refreshToken: string } }>('POST', '/auth/login', {
    body: { email, password: PASSWORD },
  });
  expectStatus(`login ${role}`, login, 200);
  return { userId: invited.body.data.userId, email, password: PASSWORD, ...login.body.data };
}

/** Uploads a small text file as evidence of a client. */
export async function uploadEvidence(
  ledger: TestLedger,
  token: string,
  clientId: string,
  content: string,
  options: { title?: string; fileName?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries({
    clientId,
    title: options.title ?? 'Access review',
    validFrom: '2026-01-01',
    expiresAt: '2030-01-01T00:00:00Z',
  }))
    form.append(name, value);
  form.append('file', new Blob([content], { type: 'text/plain' }), options.fileName ?? 'review.txt');
  const response = await fetch(`${ledger.url}/api/v1/evidence/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...options.headers },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

/**
 * A tenant with one of everything, for isolation tests: two clients, an AI service approved for the first with a
 * usage policy, a policy, an assessment, evidence, a blocked prompt analysis (and so a violation), a webhook and a
 * gateway key, all of the first client; a compliance officer of each client (the first one's chat session); and a user who has been deactivated. Every name carries
 * `marker`, so that an answer leaking any of it can be found by searching for the marker.
 */
export async function populatedTenant(ledger: TestLedger, marker: string) {
  const admin = await ledger.signUp(marker.toLowerCase());
  const token = admin.accessToken;
  const post = async <T>(path: string, body: unknown, status = 201): Promise<T> => {
    const response = await ledger.request<{ data: T }>('POST', path, { token, body });
    expectStatus(`POST ${path}`, response, status);
    return response.body.data;
  };
  const clientId = await createClient(ledger, token, `${marker} Clinic`, ['hipaa']);
  const otherClientId = await createClient(ledger, token, `${marker} Agency`);
  const { aiServiceId } = await post<{ aiServiceId: string }>('/ai-services', {
    name: `${marker} Chat`,
    vendor: `${marker} Vendor`,
    models: ['chat-1'],
    baaSigned: true,
    dpaSigned: true,
    dataRetentionDays: 0,
  });
  await post(`/clients/${clientId}/ai-services/${aiServiceId}/approve`, { reason: `${marker} contract` }, 200);
  const policy = await ledger.request('PUT', `/clients/${clientId}/ai-policy`, {
    token,
    body: {
      rules: [{ entity: 'EMAIL_ADDRESS', minScore: 0.5, action: 'redact' }],
      unapprovedService: 'block',
      customPatterns: [{ entity: 'EMPLOYEE_ID', pattern: 'EMP-[0-9]{6}', score: 0.9 }],
    },
  });
  expectStatus('PUT ai-policy', policy, 200);
  const { policyId } = await post<{ policyId: string }>('/policies/generate', {
    clientId,
    frameworkId: 'hipaa',
    companyContext: {
      name: `${marker} Clinic`,
      industry: 'healthcare',
      size: '11-50',
      dataTypes: ['phi'],
      aiTools: [],
      jurisdictions: ['US'],
    },
  });
  const { assessmentId } = await post<{ assessmentId: string }>('/assessments', {
    clientId,
    frameworkId: 'hipaa',
    title: `${marker} assessment`,
  });
  const uploaded = await uploadEvidence(ledger, token, clientId, `${marker} access review minutes`, {
    title: `${marker} evidence`,
  });
  expectStatus('upload evidence', uploaded, 201);
  const evidenceId = (uploaded.body.data as { evidenceId: string }).evidenceId;
  const analysed = await ledger.request<{ data: { analysisId: string }; meta: { position: string } }>(
    'POST',
    '/analyze/prompt',
    { token, body: { clientId, aiServiceId, prompt: `${marker}: patient SSN 219-45-6781`, userRef: `${marker}-user` } },
  );
  expectStatus('POST /analyze/prompt', analysed, 201);
  const { analysisId } = analysed.body.data;
  const violations = await ledger.request<{ data: Array<{ violationId: string }> }>(
    'GET',
    `/violations?clientId=${clientId}`,
    { token, headers: { 'X-Min-Position': analysed.body.meta.position } },
  );
  expectStatus('GET /violations', violations, 200);
  const violationId = violations.body.data[0]!.violationId;
  const { webhookId } = await post<{ webhookId: string }>('/webhooks', {
    url: `https://${marker.toLowerCase()}.example.com/hooks`,
    events: ['violation.*'],
    clientId,
  });
  const { keyId: gatewayKeyId } = await post<{ keyId: string }>(`/clients/${clientId}/gateway-keys`, {
    name: `${marker} key`,
    userRef: `${marker}-key-user`,
  });
  const officer = await inviteMember(ledger, token, 'compliance_officer', clientId, `${marker} Officer`);
  const otherOfficer = await inviteMember(ledger, token, 'compliance_officer', otherClientId, `${marker} Other`);
  const chat = await ledger.request<{ data: { sessionId: string } }>('POST', '/chat/sessions', {
    token: officer.accessToken,
    body: { clientId, aiServiceId, title: `${marker} chat` },
  });
  expectStatus('POST /chat/sessions', chat, 201);
  const chatSessionId = chat.body.data.sessionId;
  const leaver = await inviteMember(ledger, token, 'msp_analyst', undefined, `${marker} Leaver`);
  const deactivated = await ledger.request('DELETE', `/users/${leaver.userId}`, { token });
  expectStatus('deactivate', deactivated, 200);
  return {
    marker,
    admin,
    clientId,
    otherClientId,
    aiServiceId,
    policyId,
    assessmentId,
    evidenceId,
    analysisId,
    violationId,
    webhookId,
    gatewayKeyId,
    chatSessionId,
    officer,
    otherOfficer,
    leaver,
  };
}

export type PopulatedTenant = Awaited<ReturnType<typeof populatedTenant>>;
