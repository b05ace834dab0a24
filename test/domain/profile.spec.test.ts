import { describe, expect, it } from 'vitest';
import { primaryContact, type Profile } from '../../domain/accounts/profile.js';
import { userDecider, type UserEvent } from '../../domain/accounts/user.js';
import { fold } from '../../domain/decider.js';
import { given } from '../support/decider-spec.js';

const registered: UserEvent[] = [
  {
    type: 'UserRegistered',
    data: {
      userId: 'u-1',
      tenantId: 't-1',
      email: 'ada@example.com',
      name: 'Ada',
      passwordHash: 'h',
      role: 'compliance_officer',
      clientId: 'c-1',
    },
  },
];
const profile: Profile = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  displayName: 'Ada L.',
  dateOfBirth: '1990-12-10',
  country: 'GB',
  stateOrProvince: null,
  city: 'London',
  postalCode: 'SW1A 1AA',
  bio: 'Counts things.',
  pictureUrl: 'https://example.com/ada.png',
  public: true,
  contact: false,
};
const phone = (contactId: string, value: string, primary: boolean): UserEvent => ({
  type: 'ContactAdded',
  data: { userId: 'u-1', contactId, type: 'phone', value, label: null, primary },
});

describe('a user profile', () => {
  it('is set, and setting the same again changes nothing', () => {
    const set: UserEvent = { type: 'ProfileSet', data: { userId: 'u-1', setBy: 'u-1', ...profile } };
    given(userDecider, registered).when({ type: 'SetProfile', profile, setBy: 'u-1' }).then([set]);
    given(userDecider, [...registered, set])
      .when({ type: 'SetProfile', profile, setBy: 'u-9' })
      .then([]);
  });

  it('refuses a bio over 500 characters, naming it', () => {
    given(userDecider, registered)
      .when({ type: 'SetProfile', profile: { ...profile, bio: 'x'.repeat(501) }, setBy: 'u-1' })
      .thenFails('invalid', 'bio');
  });

  it('makes the first contact of a type its primary, and a new primary demotes the old one', () => {
    given(userDecider, registered)
      .when({ type: 'AddContact', contactId: 'k-1', contactType: 'phone', value: '+442071838750', label: null })
      .then([phone('k-1', '+442071838750', true)]);
    given(userDecider, [...registered, phone('k-1', '+442071838750', true)])
      .when({ type: 'AddContact', contactId: 'k-2', contactType: 'phone', value: '+14155552671', label: null })
      .then([phone('k-2', '+14155552671', false)]);
    const history = [...registered, phone('k-1', '+442071838750', true), phone('k-2', '+14155552671', true)];
    const state = fold(userDecider, history);
    expect(primaryContact(state, 'phone')?.contactId).toBe('k-2');
    expect(state.contacts.filter((c) => c.primary)).toHaveLength(1);
    given(userDecider, history)
      .when({ type: 'ChangeContact', contactId: 'k-1', primary: true })
      .then([{ type: 'ContactChanged', data: { userId: 'u-1', contactId: 'k-1', primary: true } }]);
  });

  it('refuses the same active contact twice, and a change to a deactivated one', () => {
    const history = [...registered, phone('k-1', '+442071838750', true)];
    given(userDecider, history)
      .when({ type: 'AddContact', contactId: 'k-2', contactType: 'phone', value: '+442071838750', label: null })
      .thenFails('conflict', 'value');
    const deactivated: UserEvent = { type: 'ContactDeactivated', data: { contactId: 'k-1' } };
    given(userDecider, history).when({ type: 'DeactivateContact', contactId: 'k-1' }).then([deactivated]);
    given(userDecider, [...history, deactivated])
      .when({ type: 'DeactivateContact', contactId: 'k-1' })
      .then([]);
    given(userDecider, [...history, deactivated])
      .when({ type: 'ChangeContact', contactId: 'k-1', label: 'work' })
      .thenFails('conflict', 'contactId');
    expect(primaryContact(fold(userDecider, [...history, deactivated]), 'phone')).toBeUndefined();
  });

  it('keeps professional history in date order, and deactivates an entry', () => {
    const entry = {
      entryId: 'e-1',
      title: 'Analyst',
      company: 'Acme',
      industry: null,
      startDate: '2020-01-01',
      endDate: '2019-12-31',
    };
    given(userDecider, registered)
      .when({ type: 'AddExperience', ...entry })
      .thenFails('invalid', 'endDate');
    const added: UserEvent = { type: 'ExperienceAdded', data: { userId: 'u-1', ...entry, endDate: null } };
    given(userDecider, registered)
      .when({ type: 'AddExperience', ...entry, endDate: null })
      .then([added]);
    given(userDecider, [...registered, added])
      .when({ type: 'DeactivateExperience', entryId: 'e-1' })
      .then([{ type: 'ExperienceDeactivated', data: { entryId: 'e-1' } }]);
    given(userDecider, registered).when({ type: 'DeactivateExperience', entryId: 'e-1' }).thenFails('not_found');
  });

  it('takes nothing once the user is erased, and the state forgets it all', () => {
    const erased: UserEvent = { type: 'UserErased', data: { erasedBy: 'u-9' } };
    const history = [...registered, phone('k-1', '+442071838750', true), erased];
    given(userDecider, history).when({ type: 'SetProfile', profile, setBy: 'u-1' }).thenFails('gone');
    expect(fold(userDecider, history).contacts).toEqual([]);
  });
});
