import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { postcodeValidator, postcodeValidatorExistsForCountry } from 'postcode-validator';
import { z } from 'zod';
import { BIO_MAX, type Profile } from '../../domain/accounts/profile.js';
import { CountryCode2 } from '../../infrastructure/http/contract/country.js';
import { invalidFields } from '../../infrastructure/http/problem.js';

/**
 * The profile's inputs as the API reads them: formats are checked here (the domain keeps no phone or postal tables),
 * and every refusal is a 400 naming its field (`location.postalCode`, `value`).
 */

/** One line of text (a name, a city): no control characters, line breaks or direction overrides. */
const ONE_LINE = /^[^\p{Cc}\u202a-\u202e\u2066-\u2069]*$/u;
const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(ONE_LINE, 'one line of text: no control characters, line breaks or direction overrides')
    .nullable()
    .optional();

const IsoDate = z.iso.date().describe('YYYY-MM-DD');

export const ProfileBody = z
  .strictObject({
    firstName: Text(100),
    lastName: Text(100),
    displayName: Text(100),
    dateOfBirth: IsoDate.refine(
      (date) => date >= '1900-01-01' && date <= new Date().toISOString().slice(0, 10),
      'a date of birth between 1900-01-01 and today',
    )
      .nullable()
      .optional(),
    location: z
      .strictObject({
        country: CountryCode2.nullable().optional(),
        stateOrProvince: Text(100),
        city: Text(100),
        postalCode: Text(20),
      })
      .optional(),
    bio: z.string().max(BIO_MAX).nullable().optional(),
    pictureUrl: z
      .url({
        protocol: /^https$/,
        hostname: z.regexes.domain,
        error: 'an https URL on a domain name, such as https://cdn.example.com/me.jpg',
      })
      .max(2000)
      .refine((url) => !/^https:\/\/[^/]*@/i.test(url), 'no user name or password in the URL')
      .nullable()
      .optional()
      .describe('https only; the ledger never fetches it'),
    public: z.boolean().default(false),
    contact: z.boolean().default(false),
  })
  .superRefine((body, ctx) => {
    const postalCode = body.location?.postalCode;
    if (!postalCode) return;
    const country = body.location?.country;
    if (!country) {
      ctx.addIssue({ code: 'custom', path: ['location', 'country'], message: 'a postal code needs its country' });
    } else if (!validPostalCode(postalCode, country)) {
      ctx.addIssue({ code: 'custom', path: ['location', 'postalCode'], message: `not a postal code of ${country}` });
    }
  })
  .describe('The whole profile: what is left out is cleared');

/** A country's own pattern where postcode-validator has one; elsewhere a plausible code (letters, digits). */
function validPostalCode(code: string, country: string): boolean {
  if (postcodeValidatorExistsForCountry(country)) return postcodeValidator(code, country);
  return /^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$/.test(code);
}

/** The profile as the domain takes it: every field present, null when not given. */
export function profileOf(body: z.output<typeof ProfileBody>): Profile {
  const location = body.location ?? {};
  return {
    firstName: body.firstName ?? null,
    lastName: body.lastName ?? null,
    displayName: body.displayName ?? null,
    dateOfBirth: body.dateOfBirth ?? null,
    country: location.country ?? null,
    stateOrProvince: location.stateOrProvince ?? null,
    city: location.city ?? null,
    postalCode: location.postalCode ? location.postalCode.toUpperCase() : null,
    bio: body.bio ?? null,
    pictureUrl: body.pictureUrl ?? null,
    public: body.public,
    contact: body.contact,
  };
}

export const ContactType = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{1,31}$/, 'a lower-case word')
  .describe("'phone', 'email', or another channel such as 'teams' or 'slack'");
const ContactValue = z.string().trim().min(1).max(200);
const Label = z.string().trim().max(100).nullable().optional();

export const ContactBody = z.strictObject({
  type: ContactType,
  value: ContactValue.describe('A phone number with its +country code, or in the profile country; stored as E.164'),
  label: Label,
  primary: z.boolean().optional().describe("Default: primary when it is the type's first active contact"),
});

export const ContactChanges = z.strictObject({
  value: ContactValue.optional(),
  label: Label,
  primary: z.boolean().optional(),
});

const Email = z.email();

/**
 * A contact value in its stored form: a phone number in E.164 (read in the profile's country unless it carries its
 * own +code), an e-mail address in lower case, anything else as given. A bad one is a 400 naming `field`.
 */
export function contactValue(type: string, value: string, country: string | null | undefined, field: string): string {
  if (type === 'phone') {
    const region = country && isSupportedCountry(country) ? (country as CountryCode) : undefined;
    const number = parsePhoneNumberFromString(value, region);
    if (!number || !number.isValid())
      throw invalidFields([
        {
          field,
          message: region
            ? `not a valid phone number in ${region} nor with a +country code`
            : 'not a valid phone number: give it with its +country code, or set the profile country',
        },
      ]);
    return number.number;
  }
  if (type === 'email') {
    const parsed = Email.safeParse(value);
    if (!parsed.success) throw invalidFields([{ field, message: 'not a valid e-mail address' }]);
    return parsed.data.toLowerCase();
  }
  return value;
}

export const ExperienceBody = z.strictObject({
  title: z.string().trim().min(1).max(200),
  company: z.string().trim().min(1).max(200),
  industry: Text(100),
  startDate: IsoDate,
  endDate: IsoDate.nullable().optional().describe('null or left out: current; not before startDate'),
});
