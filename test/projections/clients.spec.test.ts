import { afterAll, beforeAll, describe, it } from 'vitest';
import { clientsProjection } from '../../projections/read-models/clients.js';
import { projectionSpecification } from '../support/projection-spec.js';
import { needs, openTestDatabase } from '../support/services.js';

const skip = needs('postgres').skip;

/** The clients read model as projection specs: given these events, then these rows. */
describe.skipIf(skip)(`the clients projection, given events${skip ? ' (skipped: no postgres)' : ''}`, () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase('spec');
  });
  afterAll(() => database?.drop());
  const spec = () => projectionSpecification(database, clientsProjection);
  const registered = { clientId: 'c-1', name: 'Acme', industry: 'health', size: '1-10', frameworks: ['hipaa'] };

  it('registers a client, active, with its frameworks', async () => {
    await spec()
      .given([{ stream: 'client/c-1', type: 'ClientRegistered', data: registered }])
      .then('clients', [
        { client_id: 'c-1', name: 'Acme', frameworks: ['hipaa'], status: 'active', archived_at: null },
      ]);
  });

  it('applies updates and an archive in order, within one batch', async () => {
    await spec()
      .given([
        { stream: 'client/c-1', type: 'ClientRegistered', data: registered },
        { stream: 'client/c-1', type: 'ClientUpdated', data: { name: 'Acme Health', frameworks: [] } },
        {
          stream: 'client/c-1',
          type: 'ClientArchived',
          data: { reason: null },
          recordedAt: '2026-03-02T10:00:00.000Z',
        },
      ])
      .then('clients', [
        {
          name: 'Acme Health',
          frameworks: [],
          status: 'archived',
          updated_at: new Date('2026-03-02T10:00:00.000Z'),
          archived_at: new Date('2026-03-02T10:00:00.000Z'),
        },
      ]);
  });

  it('keeps clients whose events were never registered out', async () => {
    await spec()
      .given([{ stream: 'client/c-9', type: 'ClientUpdated', data: { name: 'Ghost' } }])
      .then('clients', []);
  });
});
