import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../contract/message-bus.contract.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { needs } from '../support/services.js';
import { approvedService, createClient, inviteMember, type Member } from '../support/tenants.js';

const skip = needs('postgres').skip || needs('redis').skip;

type Profile = {
  displayName: string | null;
  firstName: string | null;
  location: { country: string | null; postalCode: string | null; city: string | null };
  bio: string | null;
  public: boolean;
  contacts: Array<{ contactId: string; type: string; value: string; primary: boolean; active: boolean }>;
  experience: Array<{ entryId: string; title: string; company: string; active: boolean }>;
};
type Problem = { errors?: Array<{ field: string }> };

describe.skipIf(skip)(`profiles and contacts over HTTP${skip ? ' (skipped: no postgres or redis)' : ''}`, () => {
  let ledger: TestLedger;
  let admin: Awaited<ReturnType<TestLedger['signUp']>>;
  let clientId: string;
  let otherClientId: string;
  let officer: Member;
  let clientAdmin: Member;
  let otherOfficer: Member;

  beforeAll(async () => {
    ledger = await startTestLedger({ env: { NOTIFY_POLL_MS: '50', NOTIFY_MIN_SEVERITY: 'low' } });
    admin = await ledger.signUp('profiles');
    clientId = await createClient(ledger, admin.accessToken, 'Profile Clinic');
    otherClientId = await createClient(ledger, admin.accessToken, 'Other Clinic');
    officer = await inviteMember(ledger, admin.accessToken, 'compliance_officer', clientId, 'Olive Officer');
    clientAdmin = await inviteMember(ledger, admin.accessToken, 'client_admin', clientId, 'Cleo Admin');
    otherOfficer = await inviteMember(ledger, admin.accessToken, 'compliance_officer', otherClientId, 'Otto');
  });
  afterAll(() => ledger?.close());

  const as = (member: { accessToken: string }) => ({
    get: <T>(path: string, position?: string) =>
      ledger.request<{ data: T }>('GET', path, {
        token: member.accessToken,
        headers: position ? { 'X-Min-Position': position } : {},
      }),
    send: <T = { data: Record<string, string>; meta: { position: string } }>(
      method: string,
      path: string,
      body?: unknown,
      headers?: Record<string, string>,
    ) => ledger.request<T>(method, path, { token: member.accessToken, body, headers }),
  });
  const profileOf = async (member: { accessToken: string }, userId: string, position: string, query = '') =>
    (await as(member).get<Profile>(`/users/${userId}/profile${query}`, position)).body.data;

  it('sets and reads a profile (the user themselves), with its ETag, and names a bad postal code', async () => {
    const me = as(officer);
    const empty = await me.get<Profile>(`/users/${officer.userId}/profile`);
    expect(empty.status).toBe(200);
    expect(empty.body.data).toMatchObject({ displayName: null, public: false, contacts: [], experience: [] });
    const body = {
      firstName: 'Olive',
      lastName: 'Officer',
      displayName: 'Olive O.',
      dateOfBirth: '1988-04-02',
      location: { country: 'gb', city: 'London', postalCode: 'sw1a 1aa' },
      bio: 'Keeps the clinic honest.',
      pictureUrl: 'https://images.example.com/olive.png',
      public: true,
      contact: true,
    };
    const set = await me.send('PUT', `/users/${officer.userId}/profile`, body);
    expect(set.status).toBe(200);
    const read = await me.get<Profile>(`/users/${officer.userId}/profile`, set.body.meta.position);
    expect(read.body.data).toMatchObject({
      displayName: 'Olive O.',
      location: { country: 'GB', city: 'London', postalCode: 'SW1A 1AA' },
      public: true,
    });
    const etag = read.headers.get('etag')!;
    expect(etag).toBeTruthy();
    expect((await me.send('PUT', `/users/${officer.userId}/profile`, body, { 'If-Match': '"0"' })).status).toBe(412);
    expect((await me.send('PUT', `/users/${officer.userId}/profile`, body, { 'If-Match': etag })).status).toBe(200);

    const badPostal = await me.send<Problem>('PUT', `/users/${officer.userId}/profile`, {
      ...body,
      location: { country: 'US', postalCode: 'SW1A 1AA' },
    });
    expect(badPostal.status).toBe(400);
    expect(badPostal.body.errors?.map((e) => e.field)).toEqual(['location.postalCode']);
    // A bio of 500 emoji is 500 characters (code points), whatever JavaScript's string length says.
    expect(
      (await me.send('PUT', `/users/${officer.userId}/profile`, { ...body, bio: '\u{1F600}'.repeat(500) })).status,
    ).toBe(200);
    const usZip = await me.send('PUT', `/users/${officer.userId}/profile`, {
      ...body,
      location: { country: 'US', postalCode: '94105' },
    });
    expect(usZip.status).toBe(200);
    await me.send('PUT', `/users/${officer.userId}/profile`, body); // back to GB for the phone numbers below
    for (const [field, wrong] of [
      ['location.country', { location: { country: 'XX' } }],
      ['pictureUrl', { pictureUrl: 'http://images.example.com/olive.png' }],
      ['bio', { bio: 'x'.repeat(501) }],
      ['dateOfBirth', { dateOfBirth: '02/04/1988' }],
      ['dateOfBirth', { dateOfBirth: '2999-01-01' }],
      ['pictureUrl', { pictureUrl: 'https://someone:secret@images.example.com/olive.png' }],
      ['displayName', { displayName: 'Olive\r\nBcc: someone@example.com' }],
      ['firstName', { firstName: 'Ol\u202eevi' }],
      ['bio', { bio: '\u{1F600}'.repeat(501) }],
    ] as const) {
      const refused = await me.send<Problem>('PUT', `/users/${officer.userId}/profile`, { ...body, ...wrong });
      expect(refused.status, field).toBe(400);
      expect(refused.body.errors?.map((e) => e.field)).toContain(field);
    }
  });

  it('normalises phone numbers to E.164 in the profile country, names a bad one, and switches the primary', async () => {
    const me = as(officer);
    const path = `/users/${officer.userId}/contacts`;
    const first = await me.send('POST', path, { type: 'phone', value: '020 7183 8750', label: 'office' });
    expect(first.status).toBe(201);
    const second = await me.send('POST', path, { type: 'phone', value: '+1 415 555 2671', primary: true });
    expect(second.status).toBe(201);
    const bad = await me.send<Problem>('POST', path, { type: 'phone', value: '12' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.field)).toEqual(['value']);
    const badMail = await me.send<Problem>('POST', path, { type: 'email', value: 'not an address' });
    expect(badMail.status).toBe(400);
    expect(badMail.body.errors?.map((e) => e.field)).toEqual(['value']);
    const teams = await me.send('POST', path, { type: 'teams', value: 'olive@clinic.example' });
    expect(teams.status).toBe(201);

    let profile = await profileOf(officer, officer.userId, teams.body.meta.position);
    const phones = profile.contacts.filter((c) => c.type === 'phone');
    expect(phones.map((c) => [c.value, c.primary])).toEqual([
      ['+442071838750', false],
      ['+14155552671', true],
    ]);
    const back = await me.send('PATCH', `${path}/${first.body.data.contactId}`, { primary: true });
    expect(back.status).toBe(200);
    profile = await profileOf(officer, officer.userId, back.body.meta.position);
    expect(profile.contacts.filter((c) => c.primary).map((c) => c.type)).toEqual(['phone', 'teams']);
    expect(profile.contacts.find((c) => c.primary && c.type === 'phone')!.value).toBe('+442071838750');

    // Soft removal: deactivated, gone from the list, there with includeInactive.
    const removed = await me.send('DELETE', `${path}/${second.body.data.contactId}`);
    expect(removed.status).toBe(200);
    profile = await profileOf(officer, officer.userId, removed.body.meta.position);
    expect(profile.contacts.map((c) => c.value)).not.toContain('+14155552671');
    const all = await profileOf(officer, officer.userId, removed.body.meta.position, '?includeInactive=true');
    expect(all.contacts.find((c) => c.value === '+14155552671')).toMatchObject({ active: false, primary: false });
    const changeRemoved = await me.send('PATCH', `${path}/${second.body.data.contactId}`, { label: 'x' });
    expect(changeRemoved.status).toBe(409);
  });

  it('keeps professional history in date order, and deactivates entries', async () => {
    const me = as(officer);
    const path = `/users/${officer.userId}/experience`;
    const wrongOrder = await me.send<Problem>('POST', path, {
      title: 'Analyst',
      company: 'Acme',
      startDate: '2021-01-01',
      endDate: '2020-06-30',
    });
    expect(wrongOrder.status).toBe(422);
    expect(wrongOrder.body.errors?.map((e) => e.field)).toEqual(['endDate']);
    const added = await me.send('POST', path, {
      title: 'Analyst',
      company: 'Acme',
      industry: 'health',
      startDate: '2020-01-01',
      endDate: '2021-06-30',
    });
    expect(added.status).toBe(201);
    const current = await me.send('POST', path, { title: 'Officer', company: 'Clinic', startDate: '2021-07-01' });
    const removed = await me.send('DELETE', `${path}/${added.body.data.entryId}`);
    expect(removed.status).toBe(200);
    const profile = await profileOf(officer, officer.userId, removed.body.meta.position);
    expect(profile.experience.map((e) => e.entryId)).toEqual([current.body.data.entryId]);
  });

  it('lets the MSP admin and the client admin manage it, other readers see a public profile only', async () => {
    const put = (by: { accessToken: string }, userId: string) =>
      as(by).send('PUT', `/users/${userId}/profile`, { displayName: 'Set by admin', public: false });
    expect((await put(clientAdmin, otherOfficer.userId)).status).toBe(404); // another client's user
    expect((await put(otherOfficer, officer.userId)).status).toBe(404);
    expect((await put(officer, clientAdmin.userId)).status).toBe(403); // readable, not the officer's to change
    const byAdmin = await put(admin, clientAdmin.userId);
    expect(byAdmin.status).toBe(200);
    const private_ = await as(officer).get(`/users/${clientAdmin.userId}/profile`, byAdmin.body.meta.position);
    expect(private_.status).toBe(403);
    const byClientAdmin = await as(clientAdmin).send('POST', `/users/${officer.userId}/contacts`, {
      type: 'email',
      value: 'Olive.Alerts@Clinic.example',
    });
    expect(byClientAdmin.status).toBe(201);
    const seen = await profileOf(clientAdmin, officer.userId, byClientAdmin.body.meta.position);
    expect(seen.contacts.find((c) => c.type === 'email')).toMatchObject({
      value: 'olive.alerts@clinic.example',
      primary: true,
    });
    expect((await as(otherOfficer).get(`/users/${officer.userId}/profile`)).status).toBe(404);
  });

  it('filters GET /users by country, contact flag and display name, in the list envelope', async () => {
    const list = async (query: string) =>
      (
        await ledger.request<{ data: Array<{ userId: string }>; meta: { total: number } }>('GET', `/users?${query}`, {
          token: admin.accessToken,
        })
      ).body;
    const byCountry = await list('country=GB');
    expect(byCountry.data.map((u) => u.userId)).toEqual([officer.userId]);
    expect(byCountry.meta).toMatchObject({ total: 1, page: 1 });
    expect((await list('country=US,FR')).meta.total).toBe(0);
    expect((await list('q=olive')).data.map((u) => u.userId)).toEqual([officer.userId]);
    expect((await list('contact=true')).data.map((u) => u.userId)).toEqual([officer.userId]);
    expect((await list('contact=false')).data.map((u) => u.userId)).not.toContain(officer.userId);
    const bad = await ledger.request<Problem>('GET', '/users?country=Britain', { token: admin.accessToken });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.field)).toEqual(['country']);
  });

  it("sends violation mail to the officer's primary e-mail contact", async () => {
    const aiServiceId = await approvedService(ledger, admin.accessToken, [clientId]);
    const analysed = await as(admin).send<{ data: { decision: string } }>('POST', '/analyze/prompt', {
      clientId,
      aiServiceId,
      prompt: 'Reply to jane.doe@example.com about her order',
    });
    expect(analysed.status).toBe(201);
    await eventually(() => {
      try {
        return /violation for Profile Clinic/.test(ledger.lastMailTo('olive.alerts@clinic.example'));
      } catch {
        return false;
      }
    }, 'the mail to the primary contact');
    expect(() => ledger.lastMailTo(officer.email)).not.toThrow(); // the invitation went there, nothing since
    expect(ledger.lastMailTo(officer.email)).not.toMatch(/violation/);
  });

  it('erases all of it with the user', async () => {
    const erased = await as(admin).send('POST', `/users/${officer.userId}/erase`);
    expect(erased.status).toBe(200);
    const profile = await profileOf(admin, officer.userId, erased.body.meta.position, '?includeInactive=true');
    expect(profile).toMatchObject({
      firstName: '[erased]',
      displayName: '[erased]',
      location: { country: '[erased]', postalCode: '[erased]', city: '[erased]' },
      bio: '[erased]',
    });
    expect(profile.contacts.length).toBeGreaterThan(0);
    expect(profile.contacts.every((c) => c.value === '[erased]')).toBe(true);
    expect(profile.experience.every((e) => e.title === '[erased]' && e.company === '[erased]')).toBe(true);
    const history = await ledger.request<{ data: unknown }>('GET', `/history/users/${officer.userId}`, {
      token: admin.accessToken,
    });
    if (history.status === 200) expect(JSON.stringify(history.body)).not.toContain('Olive O.');
    expect((await as(admin).send('PUT', `/users/${officer.userId}/profile`, { displayName: 'Back' })).status).toBe(410);
  });
});
