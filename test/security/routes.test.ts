/**
 * The route × actor table: every operation of the OpenAPI document, sent by every kind of outsider against tenant A's
 * resources, gets the answer test/security/route-table.ts says, and no answer carries anything of A's.
 */
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { populatedTenant, uploadEvidence, type PopulatedTenant } from '../support/tenants.js';
import { ROUTES, type Expected, type RouteRequest } from './route-table.js';

const skip = needs('postgres').skip || needs('redis').skip;

type Actor = 'otherTenant' | 'otherClient' | 'noToken' | 'deactivated' | 'forged' | 'unsigned';

describe.skipIf(skip)(`every route × every outsider${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let a: PopulatedTenant;
  let b: PopulatedTenant;
  let operations: string[];
  let tokens: Record<Actor, string | undefined>;
  /** What each actor must never see of A's. */
  let secrets: Record<Actor, string[]>;

  beforeAll(async () => {
    ledger = await startTestLedger();
    a = await populatedTenant(ledger, 'Quokka');
    b = await populatedTenant(ledger, 'Wombat');
    const document = (await (await fetch(`${ledger.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch']);
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => METHODS.has(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const claims = { tid: a.admin.tenantId, role: 'msp_admin', cid: null, sid: randomUUID() };
    tokens = {
      otherTenant: b.admin.accessToken,
      otherClient: a.otherOfficer.accessToken,
      noToken: undefined,
      deactivated: a.leaver.accessToken,
      // A's admin, as someone without the ledger's secret would sign it, and with no signature at all.
      forged: jwt.sign(claims, createSecretKey(randomBytes(48)), { subject: a.admin.userId, expiresIn: 60 }),
      unsigned: jwt.sign(claims, null, { algorithm: 'none', subject: a.admin.userId, expiresIn: 60 }),
    };
    const everything = [
      'Quokka',
      a.admin.userId,
      a.clientId,
      a.otherClientId,
      a.aiServiceId,
      a.policyId,
      a.assessmentId,
      a.evidenceId,
      a.analysisId,
      a.violationId,
      a.webhookId,
      a.gatewayKeyId,
      'Quokka-key-user',
      a.chatSessionId,
      a.officer.userId,
      a.otherOfficer.userId,
      a.leaver.userId,
    ];
    // A's other client shares the tenant's AI service registry and sees who acted on its own client's events.
    const firstClient = [
      'Quokka Clinic',
      'Quokka Officer',
      'Quokka Leaver',
      a.clientId,
      a.policyId,
      a.assessmentId,
      a.evidenceId,
      a.analysisId,
      a.violationId,
      a.webhookId,
      a.gatewayKeyId,
      'Quokka-key-user',
      a.chatSessionId,
      a.officer.userId,
      a.leaver.userId,
    ];
    secrets = {
      otherTenant: everything,
      otherClient: firstClient,
      noToken: everything,
      deactivated: everything,
      forged: everything,
      unsigned: everything,
    };
  });
  afterAll(() => ledger?.close());

  async function send(method: string, request: RouteRequest, token: string | undefined) {
    if (request.upload) {
      const answer = await uploadEvidence(ledger, token ?? '', request.upload.clientId, 'probe evidence');
      return { status: answer.status, text: JSON.stringify(answer.body) };
    }
    const url = new URL(`${ledger.url}/api/v1${request.path}`); // '/../../health' is the root's /health
    const response = await fetch(url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
    return { status: response.status, text: await response.text() };
  }

  const matches = (expected: Expected, status: number) =>
    expected === 'own' ? status >= 200 && status < 300 : status === expected;

  it('lists every operation of the OpenAPI document, and nothing else', () => {
    expect([...operations].sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('answers every outsider as the table says, with nothing of the other tenant or client in any answer', async () => {
    const failures: string[] = [];
    // Reads first, so that what they find is not the probe's own refused commands (their paths name A's ids);
    // public routes last, since logging out with a bearer token ends its session.
    const rank = ([operation, route]: [string, (typeof ROUTES)[string]]) =>
      'public' in route ? 2 : operation.startsWith('GET ') ? 0 : 1;
    const ordered = Object.entries(ROUTES).sort((x, y) => rank(x) - rank(y));
    for (const [operation, route] of ordered) {
      const [method] = operation.split(' ') as [string];
      for (const actor of Object.keys(tokens) as Actor[]) {
        const expected: Expected =
          'public' in route ? route.status : actor === 'otherTenant' || actor === 'otherClient' ? route[actor] : 401;
        const answer = await send(method, route.request(a), tokens[actor]);
        if (!matches(expected, answer.status)) {
          failures.push(
            `${operation} as ${actor}: ${answer.status}, expected ${expected}: ${answer.text.slice(0, 200)}`,
          );
        }
        const leaked = secrets[actor].filter((secret) => answer.text.includes(secret));
        // A public route may repeat what the request itself carried (the address someone tried to log in with).
        if (leaked.length > 0) failures.push(`${operation} as ${actor} leaks ${leaked.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
  }, 180_000);

  it('still holds every resource of A as it was: no outsider changed anything', async () => {
    const token = a.admin.accessToken;
    const read = async (path: string) =>
      (await ledger.request<{ data: Record<string, unknown> }>('GET', path, { token })).body.data;
    expect(await read(`/clients/${a.clientId}`)).toMatchObject({ name: 'Quokka Clinic', status: 'active' });
    expect(await read(`/policies/${a.policyId}`)).toMatchObject({ status: 'draft', version: 1 });
    expect(await read(`/evidence/${a.evidenceId}`)).toMatchObject({ status: 'active' });
    expect(await read(`/users/${a.officer.userId}`)).toMatchObject({ role: 'compliance_officer', status: 'active' });
  });
});
