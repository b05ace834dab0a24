import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { populatedTenant, type PopulatedTenant } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

type Page = { data: Array<{ streamId: string; data: unknown }>; meta: { next: string | null } };

describe.skipIf(skip)(
  `a client-scoped user reads only its own client in the log${skip ? ' (skipped: no postgres or redis)' : ''}`,
  () => {
    let ledger: TestLedger;
    let t: PopulatedTenant;
    let secrets: string[];
    let waitFor: string;

    beforeAll(async () => {
      ledger = await startTestLedger();
      t = await populatedTenant(ledger, 'Tango');
      // Everything of the first client (the Clinic) and of the MSP itself that the Agency's officer must not see.
      // (Who acted on its own client's events, the MSP's admin, is part of its history: actor ids are not secret.)
      secrets = [
        'Tango Clinic',
        'Tango Chat',
        'Tango Officer',
        'Tango Leaver',
        t.clientId,
        t.policyId,
        t.assessmentId,
        t.evidenceId,
        t.analysisId,
        t.webhookId,
        t.officer.userId,
        t.leaver.userId,
      ];
      const head = await ledger.request<{ meta: { position: string } }>('POST', '/clients', {
        token: t.admin.accessToken,
        body: { name: 'Tango Later', industry: 'x', size: '1-10' },
      });
      waitFor = head.body.meta.position;
    });
    afterAll(() => ledger?.close());

    const get = <T>(path: string, token: string) =>
      ledger.request<T>('GET', path, { token, headers: { 'X-Min-Position': waitFor } });
    const expectNoSecret = (answer: unknown) => {
      const text = JSON.stringify(answer);
      for (const secret of secrets) expect(text, `leaks ${secret}`).not.toContain(secret);
    };

    async function wholeLog(token: string) {
      const events: Page['data'] = [];
      let after: string | null = null;
      do {
        const page: { status: number; body: Page } = await get<Page>(
          `/history/events?size=20${after ? `&after=${after}` : ''}`,
          token,
        );
        expect(page.status).toBe(200);
        events.push(...page.body.data);
        after = page.body.meta.next;
      } while (after);
      return events;
    }

    it("GET /history/events gives another client's officer none of the Clinic's events, nor the MSP's own", async () => {
      const theirs = await wholeLog(t.otherOfficer.accessToken);
      expectNoSecret(theirs);
      expect(theirs.some((event) => event.streamId.endsWith(`/client/${t.otherClientId}`))).toBe(true);
      expect(theirs.every((event) => !event.streamId.includes('/organization/'))).toBe(true);
      expect(theirs.every((event) => !event.streamId.includes('/ai-service/'))).toBe(true);
    });

    it("GET /history/events gives the Clinic's officer the Clinic's whole history", async () => {
      const own = await wholeLog(t.officer.accessToken);
      const streams = new Set(own.map((event) => event.streamId.split('/').slice(1).join('/')));
      for (const stream of [
        `client/${t.clientId}`,
        `client-ai/${t.clientId}`,
        `policy/${t.policyId}`,
        `assessment/${t.assessmentId}`,
        `evidence/${t.evidenceId}`,
        `prompt-analysis/${t.analysisId}`,
        `webhook/${t.webhookId}`,
        `user/${t.officer.userId}`,
      ])
        expect(streams, stream).toContain(stream);
      expect(JSON.stringify(own)).not.toContain('Tango Agency');
      expect(JSON.stringify(own)).not.toContain(t.otherOfficer.userId);
    });

    it("GET /history/streams/{id} is a 404 for another client's streams and the MSP's", async () => {
      const tenant = t.admin.tenantId;
      for (const stream of [
        `client/${t.clientId}`,
        `client-ai/${t.clientId}`,
        `policy/${t.policyId}`,
        `evidence/${t.evidenceId}`,
        `prompt-analysis/${t.analysisId}`,
        `user/${t.officer.userId}`,
        `organization/${tenant}`,
        `ai-service/${t.aiServiceId}`,
      ]) {
        const answer = await get(
          `/history/streams/${encodeURIComponent(`${tenant}/${stream}`)}`,
          t.otherOfficer.accessToken,
        );
        expect(answer.status, stream).toBe(404);
        expectNoSecret(answer.body);
      }
      const own = await get(
        `/history/streams/${encodeURIComponent(`${tenant}/client/${t.otherClientId}`)}`,
        t.otherOfficer.accessToken,
      );
      expect(own.status).toBe(200);
    });

    it('GET /history/verify checks only the streams of the reader’s own client', async () => {
      const msp = await get<{ data: { ok: boolean; eventsChecked: number } }>('/history/verify', t.admin.accessToken);
      const other = await get<{ data: { ok: boolean; eventsChecked: number } }>(
        '/history/verify',
        t.otherOfficer.accessToken,
      );
      expect(other.body.data.ok).toBe(true);
      expect(other.body.data.eventsChecked).toBeGreaterThan(0);
      expect(other.body.data.eventsChecked).toBeLessThan(msp.body.data.eventsChecked);
      expectNoSecret(other.body);
    });

    it('asOf reads, the diff and the summary as of a moment replay only the reader’s client', async () => {
      const now = new Date().toISOString();
      for (const path of [
        `/history/diff?from=2020-01-01T00:00:00Z&to=${now}`,
        `/msp/summary?asOf=${now}`,
        `/clients?asOf=${now}`,
        `/clients/${t.otherClientId}?asOf=${now}`,
      ]) {
        const answer = await get(path, t.otherOfficer.accessToken);
        expect([200, 400], path).toContain(answer.status);
        expectNoSecret(answer.body);
      }
      for (const path of [
        `/clients/${t.clientId}?asOf=${now}`,
        `/policies/${t.policyId}?asOf=${now}`,
        `/evidence/${t.evidenceId}?asOf=${now}`,
        `/assessments/${t.assessmentId}?asOf=${now}`,
        `/reports/compliance?clientId=${t.clientId}&frameworkId=hipaa&asOf=${now}`,
      ]) {
        const answer = await get(path, t.otherOfficer.accessToken);
        expect(answer.status, path).toBe(404);
        expectNoSecret(answer.body);
      }
    });

    it("the compliance report of the reader's own client verifies only that client's chains", async () => {
      const report = await get<{ data: { verification: { eventsChecked: number } } }>(
        `/reports/compliance?clientId=${t.otherClientId}&frameworkId=hipaa`,
        t.otherOfficer.accessToken,
      );
      expect(report.status).toBe(200);
      expectNoSecret(report.body);
      const msp = await get<{ data: { ok: boolean; eventsChecked: number } }>('/history/verify', t.admin.accessToken);
      expect(report.body.data.verification.eventsChecked).toBeLessThan(msp.body.data.eventsChecked);
    });
  },
);
