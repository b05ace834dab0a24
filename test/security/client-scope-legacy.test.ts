import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.js';
import { ClientScope } from '../../query-api/history/client-scope.js';
import { comparePositions } from '../../infrastructure/event-store/position.js';
import { eventually } from '../contract/message-bus.contract.js';
import { needs, openTestDatabase } from '../support/services.js';

const skip = needs('postgres').skip;

/** Events recorded before the client was stamped into their metadata: the scope works it out from data and streams. */
describe.skipIf(skip)(`the client of events recorded without one${skip ? ' (skipped: no postgres)' : ''}`, () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: PostgresEventStore;
  const tenantId = randomUUID();
  const mine = randomUUID();
  const theirs = randomUUID();
  const metadata = () => ({ tenantId, actorId: 'user-1', correlationId: randomUUID() });
  const append = (stream: string, events: Array<{ type: string; data: object }>) =>
    store.append(
      `${tenantId}/${stream}`,
      events.map((e) => ({ ...e, metadata: metadata() })),
      { expectedRevision: 'any' },
    );

  beforeAll(async () => {
    database = await openTestDatabase('scope');
    store = new PostgresEventStore(database);
    await append(`client/${mine}`, [
      { type: 'ClientRegistered', data: { clientId: mine, name: 'Mine' } },
      { type: 'ClientArchived', data: {} },
    ]);
    await append(`client-ai/${theirs}`, [{ type: 'AiServiceApproved', data: { aiServiceId: 'x' } }]);
    await append(`policy/p1`, [
      { type: 'PolicyGenerated', data: { clientId: theirs } },
      { type: 'PolicyApproved', data: { by: 'u' } },
    ]);
    await append(`policy/p2`, [
      { type: 'PolicyGenerated', data: { clientId: mine } },
      { type: 'PolicyApproved', data: { by: 'u' } },
    ]);
    await append(`user/u1`, [
      { type: 'UserInvited', data: { clientId: theirs } },
      { type: 'EmailVerified', data: {} },
      { type: 'UserRoleChanged', data: { clientId: mine } },
      { type: 'PasswordChanged', data: {} },
    ]);
    await append(`organization/${tenantId}`, [{ type: 'OrganizationRegistered', data: { name: 'MSP' } }]);
    const last = await append(`webhook/w1`, [
      { type: 'WebhookRegistered', data: { clientId: null } },
      { type: 'WebhookDeleted', data: {} },
    ]);
    // Readers of the log see these once every older transaction on the server has ended (another test's, say).
    await eventually(
      async () => comparePositions(await store.headPosition(), last.position) >= 0,
      'the appended events to be visible',
      60_000,
    );
  });
  afterAll(() => database?.drop());

  it('sees its own client’s events only, by their data, their stream’s name, or the client last named in their stream', async () => {
    const scope = new ClientScope(store, mine);
    const seen: string[] = [];
    for await (const event of scope.filter(store.readAll({ tenantId })))
      seen.push(`${event.streamId.split('/').slice(1).join('/')} ${event.type}`);
    expect(seen).toEqual([
      `client/${mine} ClientRegistered`,
      `client/${mine} ClientArchived`,
      'policy/p2 PolicyGenerated',
      'policy/p2 PolicyApproved',
      'user/u1 EmailVerified',
      'user/u1 UserRoleChanged',
      'user/u1 PasswordChanged',
    ]);
  });
});
