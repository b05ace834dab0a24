/**
 * Sustained requests per second and p99 latency of two commands, POST /policies/generate and evidence upload, with
 * 32 concurrent clients, on the embedded default (its own PostgreSQL), on PGlite and on a PostgreSQL server, beside a bare Express JSON echo route
 * measured in the same run.
 *
 *   npm run bench -- commands          (DATABASE_URL picks the server; BENCH_SECONDS=10 to measure longer)
 */
import { benchLedger, echoBaseline, load, seconds, type Figures } from './http-load.js';

const CLIENTS = 32;

async function ledgerFigures(kind: 'embedded' | 'pglite' | 'postgres'): Promise<Record<string, Figures>> {
  const ledger = await benchLedger(kind);
  const { api, token } = ledger;
  try {
    const { data: client } = (await (
      await ledger.post('/clients', { name: 'Client', industry: 'healthcare', size: '11-50' })
    ).json()) as { data: { clientId: string } };

    const generate = JSON.stringify({
      clientId: client.clientId,
      frameworkId: 'hipaa',
      companyContext: {
        name: 'Clinic',
        industry: 'healthcare',
        size: '11-50',
        dataTypes: ['phi', 'pii'],
        aiTools: ['ChatGPT Enterprise'],
        jurisdictions: ['US'],
      },
    });
    const policies = await load(CLIENTS, () =>
      fetch(`${api}/policies/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: generate,
      }),
    );

    const file = Buffer.from('access review\n'.repeat(600)); // about 8 KB of text
    const uploads = await load(CLIENTS, () => {
      const form = new FormData();
      form.append('clientId', client.clientId);
      form.append('title', 'Access review');
      form.append('validFrom', '2026-01-01');
      form.append('expiresAt', '2027-01-01');
      form.append('file', new Blob([file]), 'review.txt');
      return fetch(`${api}/evidence/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
    });
    return { 'POST /policies/generate': policies, 'POST /evidence/upload (8 KB)': uploads };
  } finally {
    await ledger.close();
  }
}

export async function run(): Promise<void> {
  console.log(`${CLIENTS} concurrent clients, ${seconds} s per case, after 1 s of warm-up`);
  const baseline = await echoBaseline(CLIENTS, JSON.stringify({ hello: 'world', n: 42 }));
  const line = (store: string, route: string, f: Figures) =>
    console.log(
      `${store.padEnd(9)} ${route.padEnd(30)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${f.p50.toFixed(1).padStart(6)} ms  p99 ${f.p99.toFixed(1).padStart(6)} ms  ` +
        `${(f.rps / baseline.rps).toFixed(3)} of echo${f.errors ? `  (${f.errors} errors)` : ''}`,
    );
  line('baseline', 'POST /echo (bare Express)', baseline);
  for (const kind of ['embedded', 'pglite', 'postgres'] as const) {
    for (const [route, figures] of Object.entries(await ledgerFigures(kind))) line(kind, route, figures);
  }
}
