import { DomainError, type DomainEvent } from '../decider.js';

/**
 * A user's profile, contacts and professional history: all of it the user's personal data, sealed under the user's
 * own key when stored (userPersonalData) and so erased with the user. Contacts and history entries are deactivated,
 * never deleted: the log keeps what was there, the lists show what is active.
 *
 * Formats (E.164 phone numbers, postal codes by country, https picture URLs) are checked where the request is read;
 * the domain keeps the rules that depend on what is already there: one primary per contact type, no duplicate, no
 * change to a deactivated entry, an end date not before its start.
 */

/** The profile's text fields, null when not given. Dates are ISO calendar dates (YYYY-MM-DD). */
export interface ProfileFields {
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  dateOfBirth: string | null;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string | null;
  stateOrProvince: string | null;
  city: string | null;
  postalCode: string | null;
  bio: string | null;
  /** An https URL the server never fetches. */
  pictureUrl: string | null;
}

export interface Profile extends ProfileFields {
  /** Others who may read the user (user:read in the same scope) may read the profile. */
  public: boolean;
  /** The user agrees to be contacted: readers of a public profile see its active contacts. */
  contact: boolean;
}

export const PROFILE_TEXT_FIELDS = [
  'firstName',
  'lastName',
  'displayName',
  'dateOfBirth',
  'country',
  'stateOrProvince',
  'city',
  'postalCode',
  'bio',
  'pictureUrl',
] as const satisfies readonly (keyof ProfileFields)[];

export const BIO_MAX = 500;

/** Contact types with a format the ledger checks; any other lower-case word ('teams', 'slack') is free text. */
export const CHECKED_CONTACT_TYPES = ['phone', 'email'] as const;

export interface Contact {
  contactId: string;
  /** 'phone', 'email', or another channel ('teams', 'slack'). */
  type: string;
  /** Phone numbers in E.164, e-mail addresses in lower case. */
  value: string;
  label: string | null;
  primary: boolean;
  active: boolean;
}

export interface ExperienceEntry {
  entryId: string;
  title: string;
  company: string;
  industry: string | null;
  startDate: string;
  endDate: string | null;
  active: boolean;
}

export type ProfileEvent =
  | DomainEvent<'ProfileSet', { userId: string; setBy: string } & Profile>
  | DomainEvent<
      'ContactAdded',
      { userId: string; contactId: string; type: string; value: string; label: string | null; primary: boolean }
    >
  | DomainEvent<
      'ContactChanged',
      { userId: string; contactId: string; value?: string; label?: string | null; primary?: boolean }
    >
  | DomainEvent<'ContactDeactivated', { contactId: string }>
  | DomainEvent<
      'ExperienceAdded',
      {
        userId: string;
        entryId: string;
        title: string;
        company: string;
        industry: string | null;
        startDate: string;
        endDate: string | null;
      }
    >
  | DomainEvent<'ExperienceDeactivated', { entryId: string }>;

export type ProfileCommand =
  | { type: 'SetProfile'; profile: Profile; setBy: string }
  | {
      type: 'AddContact';
      contactId: string;
      contactType: string;
      value: string;
      label: string | null;
      primary?: boolean;
    }
  | { type: 'ChangeContact'; contactId: string; value?: string; label?: string | null; primary?: boolean }
  | { type: 'DeactivateContact'; contactId: string }
  | {
      type: 'AddExperience';
      entryId: string;
      title: string;
      company: string;
      industry: string | null;
      startDate: string;
      endDate: string | null;
    }
  | { type: 'DeactivateExperience'; entryId: string };

export interface ProfileState {
  profile?: Profile;
  contacts: Contact[];
  experience: ExperienceEntry[];
}

/** Which fields of each event are the user's personal data (subject: the user). */
export const profilePersonalData = {
  ProfileSet: { subject: 'userId', fields: PROFILE_TEXT_FIELDS },
  ContactAdded: { subject: 'userId', fields: ['value', 'label'] },
  ContactChanged: { subject: 'userId', fields: ['value', 'label'] },
  ExperienceAdded: { subject: 'userId', fields: ['title', 'company', 'industry', 'startDate', 'endDate'] },
} as const;

export const PROFILE_COMMANDS: readonly ProfileCommand['type'][] = [
  'SetProfile',
  'AddContact',
  'ChangeContact',
  'DeactivateContact',
  'AddExperience',
  'DeactivateExperience',
];

export const emptyProfileState = (): ProfileState => ({ contacts: [], experience: [] });

/** The active primary contact of a type, if there is one. */
export function primaryContact(state: ProfileState, type: string): Contact | undefined {
  return state.contacts.find((c) => c.active && c.primary && c.type === type);
}

/** Decides a profile command for an existing, not erased user. */
export function decideProfile(command: ProfileCommand, state: ProfileState, userId: string): ProfileEvent[] {
  switch (command.type) {
    case 'SetProfile': {
      const { profile } = command;
      // Characters as people count them (and the API's schema does): code points, an emoji one, not two.
      if (profile.bio !== null && [...profile.bio].length > BIO_MAX)
        throw new DomainError('invalid', `A bio is at most ${BIO_MAX} characters`, 'bio');
      if (state.profile && sameProfile(state.profile, profile)) return [];
      return [{ type: 'ProfileSet', data: { userId, setBy: command.setBy, ...profile } }];
    }
    case 'AddContact': {
      if (state.contacts.some((c) => c.contactId === command.contactId))
        throw new DomainError('conflict', 'The contact exists already', 'contactId');
      if (state.contacts.some((c) => c.active && c.type === command.contactType && c.value === command.value))
        throw new DomainError('conflict', `This ${command.contactType} contact is there already`, 'value');
      // The first active contact of a type is its primary unless the caller says otherwise.
      const primary = command.primary ?? !state.contacts.some((c) => c.active && c.type === command.contactType);
      return [
        {
          type: 'ContactAdded',
          data: {
            userId,
            contactId: command.contactId,
            type: command.contactType,
            value: command.value,
            label: command.label,
            primary,
          },
        },
      ];
    }
    case 'ChangeContact': {
      const contact = activeContact(state, command.contactId);
      const changes: { value?: string; label?: string | null; primary?: boolean } = {};
      if (command.value !== undefined && command.value !== contact.value) {
        if (state.contacts.some((c) => c.active && c.type === contact.type && c.value === command.value))
          throw new DomainError('conflict', `This ${contact.type} contact is there already`, 'value');
        changes.value = command.value;
      }
      if (command.label !== undefined && command.label !== contact.label) changes.label = command.label;
      if (command.primary !== undefined && command.primary !== contact.primary) changes.primary = command.primary;
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'ContactChanged', data: { userId, contactId: contact.contactId, ...changes } }];
    }
    case 'DeactivateContact': {
      const contact = state.contacts.find((c) => c.contactId === command.contactId);
      if (!contact) throw new DomainError('not_found', 'No such contact', 'contactId');
      if (!contact.active) return [];
      return [{ type: 'ContactDeactivated', data: { contactId: contact.contactId } }];
    }
    case 'AddExperience': {
      if (state.experience.some((e) => e.entryId === command.entryId))
        throw new DomainError('conflict', 'The entry exists already', 'entryId');
      if (command.endDate !== null && command.endDate < command.startDate)
        throw new DomainError('invalid', 'The end date is before the start date', 'endDate');
      const { type: _type, ...entry } = command;
      return [{ type: 'ExperienceAdded', data: { userId, ...entry } }];
    }
    case 'DeactivateExperience': {
      const entry = state.experience.find((e) => e.entryId === command.entryId);
      if (!entry) throw new DomainError('not_found', 'No such experience entry', 'entryId');
      if (!entry.active) return [];
      return [{ type: 'ExperienceDeactivated', data: { entryId: entry.entryId } }];
    }
  }
}

function activeContact(state: ProfileState, contactId: string): Contact {
  const contact = state.contacts.find((c) => c.contactId === contactId);
  if (!contact) throw new DomainError('not_found', 'No such contact', 'contactId');
  if (!contact.active) throw new DomainError('conflict', 'The contact is deactivated: add a new one', 'contactId');
  return contact;
}

function sameProfile(a: Profile, b: Profile): boolean {
  return (
    PROFILE_TEXT_FIELDS.every((field) => a[field] === b[field]) && a.public === b.public && a.contact === b.contact
  );
}

/** A contact that becomes primary demotes the type's other primary: one primary per type. */
function withPrimary(contacts: Contact[], chosen: Contact): Contact[] {
  return contacts.map((c) =>
    c.contactId === chosen.contactId ? chosen : c.type === chosen.type && chosen.primary ? { ...c, primary: false } : c,
  );
}

export function evolveProfile(state: ProfileState, event: ProfileEvent): ProfileState {
  switch (event.type) {
    case 'ProfileSet': {
      const { userId: _user, setBy: _by, ...profile } = event.data;
      return { ...state, profile };
    }
    case 'ContactAdded': {
      const { userId: _user, ...contact } = event.data;
      return {
        ...state,
        contacts: withPrimary([...state.contacts, { ...contact, active: true }], { ...contact, active: true }),
      };
    }
    case 'ContactChanged': {
      const { userId: _user, contactId, ...changes } = event.data;
      const contact = state.contacts.find((c) => c.contactId === contactId);
      if (!contact) return state;
      return { ...state, contacts: withPrimary(state.contacts, { ...contact, ...changes }) };
    }
    case 'ContactDeactivated':
      return {
        ...state,
        contacts: state.contacts.map((c) =>
          c.contactId === event.data.contactId ? { ...c, active: false, primary: false } : c,
        ),
      };
    case 'ExperienceAdded': {
      const { userId: _user, ...entry } = event.data;
      return { ...state, experience: [...state.experience, { ...entry, active: true }] };
    }
    case 'ExperienceDeactivated':
      return {
        ...state,
        experience: state.experience.map((e) => (e.entryId === event.data.entryId ? { ...e, active: false } : e)),
      };
  }
}
