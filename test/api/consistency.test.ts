import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

const skip = needs('postgres').skip || needs('redis').skip;

interface Problem {
  type: string;
  title: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}
interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}

describe.skipIf(skip)(
  `one way to do things, and errors that help${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let admin: Awaited<ReturnType<TestLedger['signUp']>>;

    beforeAll(async () => {
      ledger = await startTestLedger();
      admin = await ledger.signUp();
    });
    afterAll(() => ledger?.close());

    /** A raw request: the body and headers exactly as given. */
    async function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
      const response = await fetch(`${ledger.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${admin.accessToken}`, ...headers },
        body,
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: JSON.parse(text) as Problem };
    }
    const JSON_TYPE = { 'content-type': 'application/json' };

    describe('state changes are POST', () => {
      it('submits an assessment with POST; a PUT is a 405 that says to POST', async () => {
        const clientId = (
          await ledger.request<{ data: { clientId: string } }>('POST', '/clients', {
            token: admin.accessToken,
            body: { name: 'Acme', industry: 'healthcare', size: '11-50' },
          })
        ).body.data.clientId;
        const { assessmentId } = (
          await ledger.request<{ data: { assessmentId: string } }>('POST', '/assessments', {
            token: admin.accessToken,
            body: { clientId, frameworkId: 'hipaa', title: 'Q1' },
          })
        ).body.data;
        const put = await raw('PUT', `/assessments/${assessmentId}/submit`, JSON_TYPE, '{}');
        expect(put.status).toBe(405);
        expect(put.headers.get('allow')).toBe('POST');
        expect(put.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(put.body.detail).toMatch(/takes POST/);
        const post = await ledger.request('POST', `/assessments/${assessmentId}/submit`, {
          token: admin.accessToken,
          body: {},
        });
        expect(post.status).toBe(200);

        const document = (await (await fetch(`${ledger.url}/openapi.json`)).json()) as {
          paths: Record<string, Record<string, unknown>>;
        };
        expect(Object.keys(document.paths['/api/v1/assessments/{id}/submit']!)).toEqual(['post']);
      });
    });

    describe('lists page with page and size', () => {
      it('every list in the document takes page and size, but the log, which pages by position', async () => {
        const document = (await (await fetch(`${ledger.url}/openapi.json`)).json()) as {
          paths: Record<string, Record<string, Operation>>;
        };
        const lists: string[] = [];
        for (const [path, item] of Object.entries(document.paths)) {
          const get = item.get;
          const schema = get?.responses['200']?.content?.['application/json']?.schema as
            { properties?: { data?: { type?: string } } } | undefined;
          if (schema?.properties?.data?.type !== 'array') continue;
          lists.push(path);
          if (path === '/api/v1/history/events') continue; // ?after= a position: the one documented exception
          const names = (get!.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
          expect(names, path).toEqual(expect.arrayContaining(['page', 'size']));
        }
        expect(lists).toEqual(
          expect.arrayContaining(['/api/v1/frameworks', '/api/v1/webhooks', '/api/v1/history/streams/{streamId}']),
        );
      });

      it('answers the page asked for, with its meta, where lists were whole before', async () => {
        const frameworks = await ledger.request<{ data: unknown[]; meta: Record<string, number> }>(
          'GET',
          '/frameworks?page=2&size=2',
          { token: admin.accessToken },
        );
        expect(frameworks.status).toBe(200);
        expect(frameworks.body.data).toHaveLength(2);
        expect(frameworks.body.meta).toEqual({ total: 6, page: 2, size: 2, pages: 3 });
        const stream = `${admin.tenantId}/user/${admin.userId}`;
        const history = await ledger.request<{ data: unknown[]; meta: Record<string, number> }>(
          'GET',
          `/history/streams/${encodeURIComponent(stream)}?size=1&page=2`,
          { token: admin.accessToken },
        );
        expect(history.status).toBe(200);
        expect(history.body.data).toHaveLength(1);
        expect(history.body.meta).toMatchObject({ page: 2, size: 1 });
        expect(history.body.meta.total).toBeGreaterThanOrEqual(2);
        const webhooks = await ledger.request<{ meta: Record<string, number> }>('GET', '/webhooks?size=5', {
          token: admin.accessToken,
        });
        expect(webhooks.body.meta).toEqual({ total: 0, page: 1, size: 5, pages: 0 });
      });
    });

    describe('errors say what to send', () => {
      it('an empty POST names the media type the route takes', async () => {
        const empty = await raw('POST', '/clients');
        expect(empty.status).toBe(415);
        expect(empty.body.detail).not.toMatch(/undefined/);
        expect(empty.body.detail).toMatch(/POST \/api\/v1\/clients takes application\/json; it was sent no body/);
        expect(empty.body.errors).toEqual([{ field: 'Content-Type', message: 'required: application/json' }]);
        const upload = await raw('POST', '/evidence/upload', JSON_TYPE, '{}');
        expect(upload.status).toBe(415);
        expect(upload.body.errors).toEqual([
          { field: 'Content-Type', message: 'expected multipart/form-data, not application/json' },
        ]);
      });

      it('each invalid field says what it expects, and the body as a whole too', async () => {
        const missing = await raw('POST', '/clients', JSON_TYPE, '{"name":"Acme"}');
        expect(missing.status).toBe(400);
        expect(missing.body.errors).toEqual([
          { field: 'industry', message: 'required: a string, at most 100 characters' },
          { field: 'size', message: 'required: one of 1-10, 11-50, 51-200, 201-1000, 1000+' },
        ]);
        const nested = await raw('PUT', `/clients/${admin.userId}/ai-policy`, JSON_TYPE, '{"rules":[{}]}');
        expect(nested.body.errors).toContainEqual({
          field: 'rules.0.minScore',
          message: 'required: a number from 0 to 1',
        });
        const array = await raw('POST', '/clients', JSON_TYPE, '[]');
        expect(array.body.errors).toEqual([
          { field: '(body)', message: 'expected a JSON body: an object with name, industry, size' },
        ]);
        const bare = await raw('POST', '/clients', JSON_TYPE, 'null');
        expect(bare.status).toBe(400);
        expect(bare.body.detail).toMatch(/must be a JSON object/);
        const broken = await raw('POST', '/clients', JSON_TYPE, '{"name":');
        expect(broken.status).toBe(400);
        expect(broken.body.errors).toEqual([{ field: '(body)', message: 'not valid JSON' }]);
        for (const answer of [missing, nested, array, bare, broken])
          expect(JSON.stringify(answer.body)).not.toMatch(/required property 'body'|undefined/);
      });
    });
  },
);
