/**
 * The AI chat through the interfaces its users have: HTTP for sessions, messages and history, a real WebSocket client
 * (`ws`) for the streamed answer; the AI service is a FAKE OpenAI-compatible provider.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../support/services.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { startFakeOpenAiProvider, type FakeOpenAiProvider } from '../support/fake-openai-provider.js';
import { gatewayAdmin } from '../support/gateway.js';
import { inviteMember, type Member, type SignedUp } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

// Identifiers from the public specifications' examples, each valid for its checksum.
const SSN = '219-45-6781';
const CARD = '4111 1111 1111 1111';

interface Reply {
  sessionId: string;
  turn: number;
  answer: string;
  decision: string;
  analysisId: string;
  requestId: string;
}
interface HistoryMessage {
  turn: number;
  role: 'user' | 'assistant';
  content: string | null;
  blocked: boolean;
  analysisId: string | null;
}
type Frame = Record<string, unknown> & { type: string };

/** A chat WebSocket with its frames queued, and waits for the next one or for the close. */
function openChat(ledger: TestLedger, sessionId: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(`${ledger.url.replace(/^http/, 'ws')}/api/v1/chat/ws/${sessionId}`, { headers });
  const frames: Frame[] = [];
  const waiting: Array<(frame: Frame) => void> = [];
  socket.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as Frame;
    const waiter = waiting.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const refused = new Promise<number>((resolve) =>
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
  );
  socket.on('error', () => {});
  const opened = new Promise<void>((resolve) => socket.on('open', () => resolve()));
  return {
    socket,
    opened,
    closed,
    refused,
    send: async (frame: unknown) => {
      await opened;
      socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    next: (): Promise<Frame> =>
      frames.length > 0 ? Promise.resolve(frames.shift()!) : new Promise((resolve) => waiting.push(resolve)),
  };
}

describe.skipIf(skip)(`the AI chat over HTTP and WebSocket${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let provider: FakeOpenAiProvider;
  let admin: SignedUp;
  let outsider: SignedUp;
  let clientId: string;
  let otherClientId: string;
  let aiServiceId: string;
  let officer: Member;
  let colleague: Member; // another compliance officer of the same client
  let otherOfficer: Member; // of the other client

  const post = <T = Record<string, unknown>>(path: string, body: unknown, token: string) =>
    ledger.request<T>('POST', path, { token, body });
  const startSession = (token: string, body: Record<string, unknown> = { clientId, aiServiceId }) =>
    post<{ data: { sessionId: string; ownerId: string; model: string; title: string | null } }>(
      '/chat/sessions',
      body,
      token,
    );
  const message = (sessionId: string, content: string, token = officer.accessToken) =>
    post<{ data: Reply }>('/chat/message', { sessionId, content }, token);
  const history = (sessionId: string, token = officer.accessToken) =>
    ledger.request<{ data: HistoryMessage[]; meta: { total: number; session: { ownerId: string } } }>(
      'GET',
      `/chat/history/${sessionId}`,
      { token },
    );

  beforeAll(async () => {
    provider = await startFakeOpenAiProvider();
    ledger = await startTestLedger({
      env: { CHAT_AUTH_TIMEOUT_MS: '300', PROVIDER_ALLOWED_HOSTS: '127.0.0.1' },
      captureLogs: true,
    });
    admin = await ledger.signUp('chat');
    outsider = await ledger.signUp('outsider');
    const client = async (name: string) =>
      (
        await post<{ data: { clientId: string } }>(
          '/clients',
          { name, industry: 'health', size: '11-50' },
          admin.accessToken,
        )
      ).body.data.clientId;
    clientId = await client('Clinic');
    otherClientId = await client('Agency');
    const registered = await post<{ data: { aiServiceId: string } }>(
      '/ai-services',
      {
        name: 'Covered Chat',
        vendor: 'V',
        models: ['chat-1', 'chat-2'],
        baaSigned: true,
        dpaSigned: true,
        dataRetentionDays: 0,
      },
      admin.accessToken,
    );
    aiServiceId = registered.body.data.aiServiceId;
    // No HTTP route for provider settings on this branch yet: core's test set-up executes the command.
    const gateway = await gatewayAdmin(ledger, admin.tenantId, admin.userId);
    await gateway.setProvider(aiServiceId, { baseUrl: provider.url, apiKey: 'sk-fake-provider-key' });
    await gateway.close();
    for (const id of [clientId, otherClientId]) {
      const approved = await post(
        `/clients/${id}/ai-services/${aiServiceId}/approve`,
        { reason: 'BAA' },
        admin.accessToken,
      );
      expect(approved.status).toBe(200);
    }
    const policy = await ledger.request('PUT', `/clients/${clientId}/ai-policy`, {
      token: admin.accessToken,
      body: {
        rules: [
          { entity: 'US_SSN', minScore: 0.3, action: 'redact' },
          { entity: 'CREDIT_CARD', minScore: 0.3, action: 'block' },
        ],
        unapprovedService: 'block',
      },
    });
    expect(policy.status).toBe(200);
    officer = await inviteMember(ledger, admin.accessToken, 'compliance_officer', clientId, 'Olive Officer');
    colleague = await inviteMember(ledger, admin.accessToken, 'compliance_officer', clientId, 'Colin Colleague');
    otherOfficer = await inviteMember(ledger, admin.accessToken, 'compliance_officer', otherClientId, 'Otto Other');
  });
  afterAll(async () => {
    await ledger?.close();
    await provider?.close();
  });

  it('starts a session of its own for a compliance officer, on a service approved for the client', async () => {
    const started = await startSession(officer.accessToken, { clientId, aiServiceId, title: 'Discharge letters' });
    expect(started.status).toBe(201);
    expect(started.body.data).toMatchObject({ ownerId: officer.userId, model: 'chat-1', title: 'Discharge letters' });
    const byModel = await startSession(officer.accessToken, { clientId, model: 'chat-2' });
    expect(byModel.status).toBe(201);
    expect(byModel.body.data).toMatchObject({ model: 'chat-2', title: null });

    const unserved = await startSession(officer.accessToken, { clientId, aiServiceId, model: 'gpt-9' });
    expect(unserved.status).toBe(422);
    expect(unserved.body).toMatchObject({ errors: [{ field: 'model' }] });
    const neither = await startSession(officer.accessToken, { clientId });
    expect(neither.status).toBe(422);
    expect(neither.body).toMatchObject({ errors: [{ field: 'aiServiceId' }] });
    expect((await startSession(officer.accessToken, { clientId: otherClientId, aiServiceId })).status).toBe(404);
    expect((await startSession(outsider.accessToken, { clientId, aiServiceId })).status).toBe(404);
    expect((await startSession(officer.accessToken, { clientId, aiServiceId: randomUUID() })).status).toBe(404);
    // A retried start (Idempotency-Key) answers the same session; the store keeps none of the title.
    const key = randomUUID();
    const first = await ledger.request<{ data: { sessionId: string; title: string } }>('POST', '/chat/sessions', {
      token: officer.accessToken,
      headers: { 'Idempotency-Key': key },
      body: { clientId, aiServiceId, title: 'Kept out of the store' },
    });
    const again = await ledger.request<{ data: { sessionId: string; title: string } }>('POST', '/chat/sessions', {
      token: officer.accessToken,
      headers: { 'Idempotency-Key': key },
      body: { clientId, aiServiceId, title: 'Kept out of the store' },
    });
    expect(again.body.data).toMatchObject({ sessionId: first.body.data.sessionId, title: 'Kept out of the store' });
    const stored = await ledger.sql((db) => sql`select response from idempotency_keys`.execute(db));
    expect(JSON.stringify(stored.rows)).not.toContain('Kept out of the store');
    // An MSP admin chats for any client of the MSP, in sessions of their own.
    const asAdmin = await startSession(admin.accessToken, { clientId: otherClientId, aiServiceId });
    expect(asAdmin.status).toBe(201);
    expect(asAdmin.body.data.ownerId).toBe(admin.userId);
    // Roles without chat:use.
    const analyst = ledger.tokenFor(admin.tenantId, 'msp_analyst');
    expect((await startSession(analyst, { clientId, aiServiceId })).status).toBe(403);
  });

  it('restores a redacted identifier in the answer, and keeps only the placeholder form, sealed', async () => {
    const { sessionId } = (await startSession(officer.accessToken)).body.data;
    provider.script({ content: 'Noted: <US_SSN_1> is on file.' });
    const sent = provider.received.length;
    const replied = await message(sessionId, `Patient SSN ${SSN}: draft a discharge letter`);
    expect(replied.status).toBe(200);
    expect(replied.body.data).toMatchObject({
      sessionId,
      turn: 1,
      decision: 'redact',
      answer: `Noted: ${SSN} is on file.`,
    });
    // What left for the service had the placeholder, not the value.
    const forwarded = JSON.stringify(provider.received.slice(sent));
    expect(forwarded).toContain('<US_SSN_1>');
    expect(forwarded).not.toContain(SSN);

    const read = await history(sessionId);
    expect(read.status).toBe(200);
    expect(read.body.data.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Patient SSN <US_SSN_1>: draft a discharge letter'],
      ['assistant', 'Noted: <US_SSN_1> is on file.'],
    ]);
    expect(read.body.data[0]!.analysisId).toBe(replied.body.data.analysisId);
    // The log itself, raw: no value anywhere, and the chat's texts sealed (not even the placeholder form in clear).
    const raw = await ledger.storedEvents();
    expect(JSON.stringify(raw)).not.toContain(SSN);
    expect(JSON.stringify(raw)).not.toContain('is on file');
    // The gateway recorded the request as the chat's: no key, the signed-in user.
    const request = raw.find(
      (e) =>
        e.type === 'GatewayRequestRecorded' &&
        (e.data as { requestId: string }).requestId === replied.body.data.requestId,
    )!.data;
    expect(request).toMatchObject({ keyId: null, userId: officer.userId, aiServiceId, outcome: 'completed' });
    const exchanged = raw.find((e) => e.type === 'ChatMessageExchanged')!.data as Record<string, unknown>;
    expect(exchanged.prompt).toMatchObject({ $pii: 'v1', subject: officer.userId });
    expect(exchanged.answer).toMatchObject({ $pii: 'v1', subject: officer.userId });

    expect(ledger.logs()).not.toContain(SSN);
    expect(ledger.logs()).not.toContain('discharge letter');

    // The next message carries the conversation as it left and came back.
    provider.script({ content: 'Done.' });
    const second = await message(sessionId, 'Thanks, make it shorter');
    expect(second.body.data.turn).toBe(2);
    const context = provider.received.at(-1)!.body.messages!.map((m) => m.content);
    expect(context).toEqual([
      'Patient SSN <US_SSN_1>: draft a discharge letter',
      'Noted: <US_SSN_1> is on file.',
      'Thanks, make it shorter',
    ]);

    // The audit log shows that the exchange happened, not what was said.
    const logged = await ledger.request<{ data: Array<{ type: string; data: Record<string, unknown> }> }>(
      'GET',
      `/history/streams/${encodeURIComponent(`${admin.tenantId}/chat-session/${sessionId}`)}`,
      { token: admin.accessToken },
    );
    expect(logged.status).toBe(200);
    const shown = logged.body.data.find((e) => e.type === 'ChatMessageExchanged')!;
    expect(shown.data).toMatchObject({ prompt: '[private]', answer: '[private]' });
  });

  it('answers a blocked message with the reasons and the analysis, forwards nothing, keeps none of its text', async () => {
    const { sessionId } = (await startSession(officer.accessToken)).body.data;
    const sent = provider.received.length;
    const blocked = await message(sessionId, `Charge card ${CARD} for the visit`);
    expect(blocked.status).toBe(422);
    expect(blocked.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(blocked.body).toMatchObject({ errors: [{ field: 'content' }] });
    expect((blocked.body as unknown as { analysisId: string }).analysisId).toEqual(expect.any(String));
    expect(provider.received.length).toBe(sent);
    const read = await history(sessionId);
    expect(read.body.data).toEqual([expect.objectContaining({ turn: 1, role: 'user', content: null, blocked: true })]);
    expect(JSON.stringify(await ledger.storedEvents())).not.toContain('4111');
  });

  it('streams the answer over the WebSocket, restored, and ends with the decision and the analysis', async () => {
    const { sessionId } = (await startSession(officer.accessToken)).body.data;
    // The placeholder comes split across chunks: restored all the same.
    provider.script({ chunks: ['The letter for <US_', 'SSN_1> is rea', 'dy to send.'] });
    const chat = openChat(ledger, sessionId);
    await chat.send({ type: 'authenticate', token: officer.accessToken });
    expect(await chat.next()).toEqual({ type: 'ready', sessionId });
    await chat.send({ type: 'message', content: `Letter for SSN ${SSN}` });
    let text = '';
    let frame = await chat.next();
    const deltas: string[] = [];
    while (frame.type === 'delta') {
      deltas.push(frame.text as string);
      text += frame.text as string;
      frame = await chat.next();
    }
    expect(deltas.length).toBeGreaterThan(0);
    expect(text).toBe(`The letter for ${SSN} is ready to send.`);
    expect(frame).toMatchObject({
      type: 'done',
      sessionId,
      turn: 1,
      decision: 'redact',
      analysisId: expect.any(String),
    });
    expect(frame).not.toHaveProperty('answer');

    // A refusal is a frame, and the socket stays open for the next message.
    await chat.send({ type: 'message', content: `Card ${CARD}` });
    expect(await chat.next()).toMatchObject({ type: 'error', status: 422, analysisId: expect.any(String) });
    await chat.send({ type: 'message', content: '' });
    expect(await chat.next()).toMatchObject({ type: 'error', status: 400 });
    await chat.send('not json');
    expect(await chat.next()).toMatchObject({ type: 'error', status: 400 });
    chat.socket.close();
    await chat.closed;

    const read = await history(sessionId);
    expect(read.body.data.map((m) => m.content)).toEqual([
      'Letter for SSN <US_SSN_1>',
      'The letter for <US_SSN_1> is ready to send.',
      null,
    ]);
  });

  it('lets only the owner use a session: another officer, another client, another tenant get not found', async () => {
    const { sessionId } = (await startSession(officer.accessToken)).body.data;
    for (const token of [colleague.accessToken, otherOfficer.accessToken, outsider.accessToken]) {
      expect((await history(sessionId, token)).status).toBe(404);
      expect((await message(sessionId, 'hello', token)).status).toBe(404);
    }
    expect((await history(randomUUID())).status).toBe(404);
    // Roles without either chat permission are refused before anything is looked up.
    expect((await history(sessionId, ledger.tokenFor(admin.tenantId, 'msp_analyst'))).status).toBe(403);
  });

  it('isolates the WebSocket the same way, and authenticates only by its first frame, in time', async () => {
    const { sessionId } = (await startSession(officer.accessToken)).body.data;
    const closeCode = async (token: string | null, id = sessionId) => {
      const chat = openChat(ledger, id);
      if (token !== null) await chat.send({ type: 'authenticate', token });
      return (await chat.closed).code;
    };
    expect(await closeCode(colleague.accessToken)).toBe(4404);
    expect(await closeCode(otherOfficer.accessToken)).toBe(4404);
    expect(await closeCode(outsider.accessToken)).toBe(4404);
    expect(await closeCode(officer.accessToken, randomUUID())).toBe(4404);
    expect(await closeCode('not-a-token')).toBe(4401);
    expect(await closeCode(ledger.tokenFor(admin.tenantId, 'msp_analyst'))).toBe(4403);
    // Silence: closed once CHAT_AUTH_TIMEOUT_MS has passed (300 ms here).
    expect(await closeCode(null)).toBe(4401);
    // A message before authenticating does not authenticate.
    const early = openChat(ledger, sessionId);
    await early.send({ type: 'message', content: 'hello' });
    expect((await early.closed).code).toBe(4401);
    // A token in the URL is no way in either.
    const inUrl = new WebSocket(
      `${ledger.url.replace(/^http/, 'ws')}/api/v1/chat/ws/${sessionId}?access_token=${officer.accessToken}`,
    );
    inUrl.on('error', () => {});
    expect(await new Promise((resolve) => inUrl.on('close', (code) => resolve(code)))).toBe(4401);

    // A foreign page's origin is refused before the upgrade (cross-site WebSocket hijacking).
    const foreign = openChat(ledger, sessionId, { origin: 'https://evil.example.com' });
    expect(await foreign.refused).toBe(403);
    const own = openChat(ledger, sessionId, { origin: ledger.url });
    await own.send({ type: 'authenticate', token: officer.accessToken });
    expect(await own.next()).toMatchObject({ type: 'ready' });
    // A frame over the limit closes the socket (1009: message too big).
    own.socket.send(JSON.stringify({ type: 'message', content: 'x'.repeat(65_536 * 4 + 8192) }));
    expect((await own.closed).code).toBe(1009);
    // A session ended after the socket authenticated (logout here) ends the socket at its next message.
    const leaving = await inviteMember(ledger, admin.accessToken, 'compliance_officer', clientId, 'Lou Logout');
    const { sessionId: theirs } = (await startSession(leaving.accessToken)).body.data;
    const ending = openChat(ledger, theirs);
    await ending.send({ type: 'authenticate', token: leaving.accessToken });
    expect(await ending.next()).toMatchObject({ type: 'ready' });
    const out = await ledger.request('POST', '/auth/logout', {
      token: leaving.accessToken,
      body: { refreshToken: leaving.refreshToken },
    });
    expect(out.status).toBe(204);
    await ending.send({ type: 'message', content: 'still there?' });
    expect((await ending.closed).code).toBe(4401);
    const notASession = openChat(ledger, 'not-a-uuid');
    expect(await notASession.refused).toBe(404);
  });

  it("answers the provider's failure as a 502 problem, over HTTP and the WebSocket, and keeps nothing of it", async () => {
    const { sessionId } = (await startSession(officer.accessToken)).body.data;
    provider.script({ status: 500 });
    const failed = await message(sessionId, 'Draft a letter');
    expect(failed.status).toBe(502);
    expect(failed.headers.get('content-type')).toMatch(/application\/problem\+json/);
    provider.script({ status: 500 });
    const chat = openChat(ledger, sessionId);
    await chat.send({ type: 'authenticate', token: officer.accessToken });
    await chat.next();
    await chat.send({ type: 'message', content: 'Draft a letter' });
    expect(await chat.next()).toMatchObject({ type: 'error', status: 502 });
    chat.socket.close();
    expect((await history(sessionId)).body.data).toEqual([]);
  });

  it('numbers a new value after the placeholders the conversation already holds: one name never stands for two values', async () => {
    const { sessionId } = (await startSession(officer.accessToken)).body.data;
    provider.script({ content: 'Noted: <US_SSN_1>.' });
    expect((await message(sessionId, `First patient SSN ${SSN}`)).status).toBe(200);
    const other = '524-71-3306';
    provider.script({ content: 'The second one is <US_SSN_2>.' });
    const second = await message(sessionId, `Second patient SSN ${other}`);
    expect(second.status).toBe(200);
    const context = provider.received.at(-1)!.body.messages!.map((m) => m.content);
    expect(context).toEqual(['First patient SSN <US_SSN_1>', 'Noted: <US_SSN_1>.', 'Second patient SSN <US_SSN_2>']);
    // Restored to this turn's value; the first turn's placeholder is not this request's to restore.
    expect(second.body.data.answer).toBe(`The second one is ${other}.`);
    expect(JSON.stringify(provider.received)).not.toContain(other);
  });

  it("lets the MSP read a session's history with chat:read-all (admins, auditors), not write in it", async () => {
    const { sessionId } = (await startSession(officer.accessToken)).body.data;
    provider.script({ content: 'Sure.' });
    expect((await message(sessionId, 'Summarise the policy')).status).toBe(200);
    const asAdmin = await history(sessionId, admin.accessToken);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.meta).toMatchObject({ total: 2, session: { ownerId: officer.userId } });
    expect((await history(sessionId, ledger.tokenFor(admin.tenantId, 'auditor'))).status).toBe(200);
    expect((await message(sessionId, 'hello', admin.accessToken)).status).toBe(404);
    expect((await history(sessionId, outsider.accessToken)).status).toBe(404);
    // Paging: the list envelope.
    const paged = await ledger.request<{ data: HistoryMessage[]; meta: Record<string, number> }>(
      'GET',
      `/chat/history/${sessionId}?page=2&size=1`,
      { token: admin.accessToken },
    );
    expect(paged.body.data.map((m) => m.role)).toEqual(['assistant']);
    expect(paged.body.meta).toMatchObject({ total: 2, page: 2, size: 1, pages: 2 });
  });

  it('makes the history unreadable when its owner is erased', async () => {
    const leaver = await inviteMember(ledger, admin.accessToken, 'compliance_officer', clientId, 'Lee Leaver');
    const { sessionId } = (await startSession(leaver.accessToken, { clientId, aiServiceId, title: 'Lee’s notes' })).body
      .data;
    provider.script({ content: 'Filed under <US_SSN_1>.' });
    expect((await message(sessionId, `File ${SSN}`, leaver.accessToken)).status).toBe(200);
    expect((await ledger.request('POST', `/users/${leaver.userId}/erase`, { token: admin.accessToken })).status).toBe(
      200,
    );
    const read = await ledger.request<{ data: HistoryMessage[]; meta: { session: { title: string } } }>(
      'GET',
      `/chat/history/${sessionId}`,
      { token: admin.accessToken },
    );
    expect(read.status).toBe(200);
    expect(read.body.data.map((m) => m.content)).toEqual(['[erased]', '[erased]']);
    expect(read.body.meta.session.title).toBe('[erased]');
  });
});
