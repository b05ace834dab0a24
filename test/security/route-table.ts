/**
 * Every operation of the OpenAPI document, with a request that is valid for the owning tenant's own resources
 * (tenant A, its first client), and the answer each outsider must get. test/security/routes.test.ts fails when the
 * document has an operation this table does not list, or the other way round: a new route cannot be left out.
 */
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { PopulatedTenant } from '../support/tenants.js';

export interface RouteRequest {
  /** Under /api/v1, query string included. */
  path: string;
  body?: unknown;
  /** An evidence upload for this client instead of a JSON body. */
  upload?: { clientId: string };
}

/** An outsider's expected answer: a status, or 'own' (it acts in its own tenant or client: any 2xx, nothing of A's). */
export type Expected = number | 'own';

export interface RouteCase {
  request: (a: PopulatedTenant) => RouteRequest;
  /** The MSP admin of another tenant. */
  otherTenant: Expected;
  /** A compliance officer of A's other client. */
  otherClient: Expected;
}

/**
 * Routes anyone may call: their answer is the same whoever calls, and never carries A's data. They run after the
 * others: logging out with a bearer token ends that token's session too.
 */
export interface PublicRoute {
  public: true;
  request: (a: PopulatedTenant) => RouteRequest;
  status: number;
}

const json = (path: string, body?: unknown) => ({ path, body });
const context = { name: 'Probe', industry: 'x', size: '1-10', dataTypes: [], aiTools: [], jurisdictions: [] };
const NO_TOKEN_LINK = '00000000-0000-0000-0000-000000000000.00000000-0000-0000-0000-000000000000.' + 'A'.repeat(43);

export const ROUTES: Record<string, RouteCase | PublicRoute> = {
  // Accounts: public, then the caller's own.
  'POST /api/v1/auth/register': {
    public: true,
    request: () =>
      json('/auth/register', {
        email: `probe-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`,
        password: 'a long enough password',
        name: 'Probe',
        organizationName: 'Probe MSP',
      }),
    status: 201,
  },
  'POST /api/v1/auth/verify-email': {
    public: true,
    request: () => json('/auth/verify-email', { token: NO_TOKEN_LINK }),
    status: 422,
  },
  'POST /api/v1/auth/login': {
    public: true,
    request: () => json('/auth/login', { email: `nobody-${randomUUID()}@example.com`, password: 'not the password' }),
    status: 401,
  },
  'POST /api/v1/auth/refresh': {
    public: true,
    request: () => json('/auth/refresh', { refreshToken: 'x'.repeat(43) }),
    status: 401,
  },
  'POST /api/v1/auth/logout': {
    public: true,
    request: () => json('/auth/logout', { refreshToken: 'x'.repeat(43) }),
    status: 204,
  },
  'POST /api/v1/auth/reset-password/request': {
    public: true,
    request: () => json('/auth/reset-password/request', { email: `nobody-${Date.now()}@example.com` }),
    status: 202,
  },
  'POST /api/v1/auth/reset-password': {
    public: true,
    request: () => json('/auth/reset-password', { token: NO_TOKEN_LINK, password: 'a long enough password' }),
    status: 422,
  },
  'POST /api/v1/users/accept-invite': {
    public: true,
    request: () =>
      json('/users/accept-invite', { token: NO_TOKEN_LINK, name: 'X', password: 'a long enough password' }),
    status: 422,
  },
  'GET /health': { public: true, request: () => ({ path: '/../../health' }), status: 200 },
  'GET /verify-email': {
    public: true,
    request: () => ({ path: `/../../verify-email?token=${NO_TOKEN_LINK}` }),
    status: 200,
  },
  'GET /accept-invite': {
    public: true,
    request: () => ({ path: `/../../accept-invite?token=${NO_TOKEN_LINK}` }),
    status: 200,
  },
  'GET /reset-password': { public: true, request: () => ({ path: '/../../reset-password' }), status: 200 },
  'GET /ready': { public: true, request: () => ({ path: '/../../ready' }), status: 200 },
  'GET /api/v1/auth/me': { request: () => json('/auth/me'), otherTenant: 'own', otherClient: 'own' },
  'POST /api/v1/auth/mfa/verify': {
    public: true,
    request: () => json('/auth/mfa/verify', { challenge: 'x'.repeat(43), code: '000000' }),
    status: 401,
  },
  // Multi-factor sign-in, the password and the sessions are always the caller's own.
  'POST /api/v1/auth/mfa/totp': { request: () => json('/auth/mfa/totp'), otherTenant: 'own', otherClient: 'own' },
  'POST /api/v1/auth/mfa/totp/confirm': {
    request: () => json('/auth/mfa/totp/confirm', { code: '000000' }),
    otherTenant: 422,
    otherClient: 422,
  },
  'DELETE /api/v1/auth/mfa/totp': {
    request: () => json('/auth/mfa/totp', { code: '000000' }),
    otherTenant: 422,
    otherClient: 422,
  },
  'POST /api/v1/auth/password': {
    request: () =>
      json('/auth/password', { currentPassword: 'not the password', newPassword: 'a long enough password' }),
    otherTenant: 401,
    otherClient: 401,
  },
  'GET /api/v1/auth/sessions': { request: () => json('/auth/sessions'), otherTenant: 'own', otherClient: 'own' },
  'DELETE /api/v1/auth/sessions/{sessionId}': {
    // A's administrator's own session: to anyone else it does not exist.
    request: (a) => json(`/auth/sessions/${(jwt.decode(a.admin.accessToken) as { sid: string }).sid}`),
    otherTenant: 404,
    otherClient: 404,
  },

  // The organisation's settings.
  'GET /api/v1/organization/security': {
    request: () => json('/organization/security'),
    otherTenant: 'own',
    otherClient: 'own',
  },
  'PUT /api/v1/organization/security': {
    request: () => json('/organization/security', { requireMfa: false }),
    otherTenant: 'own',
    otherClient: 403,
  },

  // Clients.
  'POST /api/v1/clients': {
    request: () => json('/clients', { name: 'Probe Client', industry: 'x', size: '1-10' }),
    otherTenant: 'own',
    otherClient: 403,
  },
  'GET /api/v1/clients': { request: () => json('/clients'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/clients/{id}': { request: (a) => json(`/clients/${a.clientId}`), otherTenant: 404, otherClient: 404 },
  'PUT /api/v1/clients/{id}': {
    request: (a) => json(`/clients/${a.clientId}`, { name: 'Renamed', industry: 'x', size: '1-10' }),
    otherTenant: 404,
    otherClient: 403,
  },
  'DELETE /api/v1/clients/{id}': { request: (a) => json(`/clients/${a.clientId}`), otherTenant: 404, otherClient: 403 },

  // Users.
  'POST /api/v1/users/invite': {
    request: (a) =>
      json('/users/invite', { email: `probe-${Date.now()}@example.com`, role: 'member', clientId: a.clientId }),
    otherTenant: 404,
    otherClient: 403,
  },
  'GET /api/v1/users': { request: () => json('/users'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/users/{id}': { request: (a) => json(`/users/${a.officer.userId}`), otherTenant: 404, otherClient: 404 },
  'PUT /api/v1/users/{id}/role': {
    request: (a) => json(`/users/${a.officer.userId}/role`, { role: 'member', clientId: a.clientId }),
    otherTenant: 404,
    otherClient: 403,
  },
  'DELETE /api/v1/users/{id}': {
    request: (a) => json(`/users/${a.officer.userId}`),
    otherTenant: 404,
    otherClient: 403,
  },
  'POST /api/v1/users/{id}/erase': {
    request: (a) => json(`/users/${a.officer.userId}/erase`),
    otherTenant: 404,
    otherClient: 403,
  },
  // Profiles: another tenant's admin and another client's officer do not see the user at all.
  'GET /api/v1/users/{id}/profile': {
    request: (a) => json(`/users/${a.officer.userId}/profile`),
    otherTenant: 404,
    otherClient: 404,
  },
  'PUT /api/v1/users/{id}/profile': {
    request: (a) => json(`/users/${a.officer.userId}/profile`, { displayName: 'Probe' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/users/{id}/contacts': {
    request: (a) => json(`/users/${a.officer.userId}/contacts`, { type: 'email', value: 'probe@example.com' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'PATCH /api/v1/users/{id}/contacts/{contactId}': {
    request: (a) => json(`/users/${a.officer.userId}/contacts/${randomUUID()}`, { label: 'Probe' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'DELETE /api/v1/users/{id}/contacts/{contactId}': {
    request: (a) => json(`/users/${a.officer.userId}/contacts/${randomUUID()}`),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/users/{id}/experience': {
    request: (a) =>
      json(`/users/${a.officer.userId}/experience`, { title: 'Probe', company: 'Probe', startDate: '2020-01-01' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'DELETE /api/v1/users/{id}/experience/{entryId}': {
    request: (a) => json(`/users/${a.officer.userId}/experience/${randomUUID()}`),
    otherTenant: 404,
    otherClient: 404,
  },

  // AI services, approvals and usage policies.
  'POST /api/v1/ai-services': {
    request: () =>
      json('/ai-services', {
        name: 'Probe AI',
        vendor: 'V',
        models: ['m'],
        baaSigned: false,
        dpaSigned: false,
        dataRetentionDays: 1,
      }),
    otherTenant: 'own',
    otherClient: 403,
  },
  // With ?clientId=, whose approvals to show: another tenant's or another client's is a 404, never "none".
  'GET /api/v1/ai-services': {
    request: (a) => json(`/ai-services?clientId=${a.clientId}`),
    otherTenant: 404,
    otherClient: 404,
  },
  'GET /api/v1/ai-services/{id}': {
    request: (a) => json(`/ai-services/${a.aiServiceId}?clientId=${a.clientId}`),
    otherTenant: 404,
    // The registry is the MSP's, shared by its clients' people; A's first client's approvals are not.
    otherClient: 404,
  },
  'PUT /api/v1/ai-services/{id}': {
    request: (a) => json(`/ai-services/${a.aiServiceId}`, { dataRetentionDays: 7 }),
    otherTenant: 404,
    otherClient: 403,
  },
  'GET /api/v1/clients/{id}/ai-policy': {
    request: (a) => json(`/clients/${a.clientId}/ai-policy`),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/clients/{id}/ai-services/{serviceId}/approve': {
    request: (a) => json(`/clients/${a.clientId}/ai-services/${a.aiServiceId}/approve`, { reason: 'probe' }),
    otherTenant: 404,
    otherClient: 403,
  },
  'POST /api/v1/clients/{id}/ai-services/{serviceId}/revoke': {
    request: (a) => json(`/clients/${a.clientId}/ai-services/${a.aiServiceId}/revoke`, { reason: 'probe' }),
    otherTenant: 404,
    otherClient: 403,
  },
  'PUT /api/v1/clients/{id}/ai-policy': {
    request: (a) => json(`/clients/${a.clientId}/ai-policy`, { rules: [], unapprovedService: 'warn' }),
    otherTenant: 404,
    otherClient: 403,
  },
  // Provider settings are the registry's (the MSP's); gateway settings are the client's, like its AI policy.
  'PUT /api/v1/ai-services/{id}/provider': {
    request: (a) => json(`/ai-services/${a.aiServiceId}/provider`, { baseUrl: 'https://probe.example.com/v1' }),
    otherTenant: 404,
    otherClient: 403,
  },
  'GET /api/v1/clients/{id}/gateway-settings': {
    request: (a) => json(`/clients/${a.clientId}/gateway-settings`),
    otherTenant: 404,
    otherClient: 404,
  },
  'PUT /api/v1/clients/{id}/gateway-settings': {
    request: (a) =>
      json(`/clients/${a.clientId}/gateway-settings`, {
        monthlyTokenBudget: 1,
        unanalysableParts: 'allow',
        outputRules: [],
      }),
    otherTenant: 404,
    otherClient: 403,
  },

  // Gateway keys: issued and revoked by the MSP's admins; listed by them and the client's own compliance people.
  'POST /api/v1/clients/{id}/gateway-keys': {
    request: (a) => json(`/clients/${a.clientId}/gateway-keys`, { name: 'probe' }),
    otherTenant: 404,
    otherClient: 403,
  },
  'GET /api/v1/clients/{id}/gateway-keys': {
    request: (a) => json(`/clients/${a.clientId}/gateway-keys`),
    otherTenant: 404,
    otherClient: 404,
  },
  'DELETE /api/v1/clients/{id}/gateway-keys/{keyId}': {
    request: (a) => json(`/clients/${a.clientId}/gateway-keys/${a.gatewayKeyId}`),
    otherTenant: 404,
    otherClient: 403,
  },
  'GET /api/v1/analyze/ai-services': {
    request: (a) => json(`/analyze/ai-services?clientId=${a.clientId}`),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/analyze/prompt': {
    request: (a) =>
      json('/analyze/prompt', { clientId: a.clientId, aiServiceId: a.aiServiceId, prompt: 'Probe prompt' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'GET /api/v1/prompt-analyses': { request: () => json('/prompt-analyses'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/ai-usage': {
    // Asked for A's client by id: an outsider's answer is its own (an empty page), never A's usage.
    request: (a) => json(`/ai-usage?clientId=${a.clientId}`),
    otherTenant: 'own',
    otherClient: 'own',
  },
  'GET /api/v1/violations': { request: () => json('/violations'), otherTenant: 'own', otherClient: 'own' },
  // Search finds the caller's own tenant's (and client's) documents and the shared requirements: never A's.
  'GET /api/v1/search': { request: (a) => json(`/search?q=${a.marker}`), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/violations/{id}': {
    request: (a) => json(`/violations/${a.violationId}`),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/violations/{id}/acknowledge': {
    request: (a) => json(`/violations/${a.violationId}/acknowledge`, { note: 'probe' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/violations/{id}/assign': {
    request: (a) => json(`/violations/${a.violationId}/assign`, { assigneeId: a.officer.userId }),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/violations/{id}/resolve': {
    request: (a) => json(`/violations/${a.violationId}/resolve`, { note: 'probe' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/violations/{id}/reopen': {
    request: (a) => json(`/violations/${a.violationId}/reopen`, { note: 'probe' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/violations/{id}/comments': {
    request: (a) => json(`/violations/${a.violationId}/comments`, { text: 'probe' }),
    otherTenant: 404,
    otherClient: 404,
  },

  // Policies.
  'POST /api/v1/policies/generate': {
    request: (a) => json('/policies/generate', { clientId: a.clientId, frameworkId: 'soc2', companyContext: context }),
    otherTenant: 404,
    otherClient: 404,
  },
  'GET /api/v1/policies': { request: () => json('/policies'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/policies/{id}': { request: (a) => json(`/policies/${a.policyId}`), otherTenant: 404, otherClient: 404 },
  'GET /api/v1/policies/{id}/versions': {
    request: (a) => json(`/policies/${a.policyId}/versions`),
    otherTenant: 404,
    otherClient: 404,
  },
  'PUT /api/v1/policies/{id}': {
    request: (a) => json(`/policies/${a.policyId}`, { content: '# Probe' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'DELETE /api/v1/policies/{id}': {
    request: (a) => json(`/policies/${a.policyId}`),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/policies/{id}/submit': {
    request: (a) => json(`/policies/${a.policyId}/submit`, {}),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/policies/{id}/approve': {
    request: (a) => json(`/policies/${a.policyId}/approve`, {}),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/policies/{id}/publish': {
    request: (a) => json(`/policies/${a.policyId}/publish`, {}),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/policies/{id}/export': {
    request: (a) => json(`/policies/${a.policyId}/export`, { format: 'markdown' }),
    otherTenant: 404,
    otherClient: 404,
  },

  // Assessments.
  'POST /api/v1/assessments': {
    request: (a) => json('/assessments', { clientId: a.clientId, frameworkId: 'soc2', title: 'Probe' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'GET /api/v1/assessments': { request: () => json('/assessments'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/assessments/{id}': {
    request: (a) => json(`/assessments/${a.assessmentId}`),
    otherTenant: 404,
    otherClient: 404,
  },
  'PUT /api/v1/assessments/{id}/requirements/{requirementId}': {
    request: (a) => json(`/assessments/${a.assessmentId}/requirements/hipaa-001`, { result: 'compliant' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/assessments/{id}/submit': {
    request: (a) => json(`/assessments/${a.assessmentId}/submit`, {}),
    otherTenant: 404,
    otherClient: 404,
  },

  // Evidence.
  'POST /api/v1/evidence/upload': {
    request: (a) => ({ path: '/evidence/upload', upload: { clientId: a.clientId } }),
    otherTenant: 404,
    otherClient: 404,
  },
  'GET /api/v1/evidence': { request: () => json('/evidence'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/evidence/{id}': {
    request: (a) => json(`/evidence/${a.evidenceId}`),
    otherTenant: 404,
    otherClient: 404,
  },
  'GET /api/v1/evidence/{id}/content': {
    request: (a) => json(`/evidence/${a.evidenceId}/content`),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/evidence/{id}/map': {
    request: (a) => json(`/evidence/${a.evidenceId}/map`, { requirementIds: ['hipaa-001'] }),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/evidence/{id}/unmap': {
    request: (a) => json(`/evidence/${a.evidenceId}/unmap`, { requirementIds: ['hipaa-001'] }),
    otherTenant: 404,
    otherClient: 404,
  },
  'DELETE /api/v1/evidence/{id}': {
    request: (a) => json(`/evidence/${a.evidenceId}`),
    otherTenant: 404,
    otherClient: 404,
  },

  // Webhooks.
  'POST /api/v1/webhooks': {
    request: (a) =>
      json('/webhooks', { url: 'https://probe.example.com/hook', events: ['violation.*'], clientId: a.clientId }),
    otherTenant: 404,
    otherClient: 403,
  },
  'GET /api/v1/webhooks': { request: () => json('/webhooks'), otherTenant: 'own', otherClient: 403 },
  'DELETE /api/v1/webhooks/{id}': {
    request: (a) => json(`/webhooks/${a.webhookId}`),
    otherTenant: 404,
    otherClient: 403,
  },
  'GET /api/v1/webhooks/{id}/deliveries': {
    request: (a) => json(`/webhooks/${a.webhookId}/deliveries`),
    otherTenant: 404,
    otherClient: 403,
  },

  // The AI chat: a session is its owner's (A's first client's officer); the WebSocket's isolation is in
  // test/api/chat.test.ts, outside the document.
  'POST /api/v1/chat/sessions': {
    request: (a) => json('/chat/sessions', { clientId: a.clientId, aiServiceId: a.aiServiceId }),
    otherTenant: 404,
    otherClient: 404,
  },
  'POST /api/v1/chat/message': {
    request: (a) => json('/chat/message', { sessionId: a.chatSessionId, content: 'hello' }),
    otherTenant: 404,
    otherClient: 404,
  },
  'GET /api/v1/chat/history/{sessionId}': {
    request: (a) => json(`/chat/history/${a.chatSessionId}`),
    otherTenant: 404,
    otherClient: 404,
  },

  // Reports, the summary, the audit log and history.
  'GET /api/v1/msp/summary': { request: () => json('/msp/summary'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/reports/compliance': {
    request: (a) => json(`/reports/compliance?clientId=${a.clientId}&frameworkId=hipaa`),
    otherTenant: 404,
    otherClient: 404,
  },
  'GET /api/v1/audit': { request: () => json('/audit'), otherTenant: 'own', otherClient: 403 },
  'GET /api/v1/audit/export': {
    request: () => json('/audit/export?format=jsonl'),
    otherTenant: 'own',
    otherClient: 403,
  },
  'GET /api/v1/history/events': { request: () => json('/history/events'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/history/streams/{streamId}': {
    request: (a) => json(`/history/streams/${encodeURIComponent(`${a.admin.tenantId}/client/${a.clientId}`)}`),
    otherTenant: 404,
    otherClient: 404,
  },
  'GET /api/v1/history/verify': { request: () => json('/history/verify'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/history/diff': {
    request: () => json(`/history/diff?from=2020-01-01T00:00:00Z&to=${new Date().toISOString()}`),
    otherTenant: 'own',
    otherClient: 'own',
  },

  // Reference data: the same for everyone signed in.
  'GET /api/v1/frameworks': { request: () => json('/frameworks'), otherTenant: 'own', otherClient: 'own' },
  'GET /api/v1/frameworks/{id}': { request: () => json('/frameworks/hipaa'), otherTenant: 'own', otherClient: 'own' },
};
