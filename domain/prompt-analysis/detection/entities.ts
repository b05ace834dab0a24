/**
 * The kinds of sensitive data the engine finds. Names follow Microsoft Presidio's wherever Presidio has one, so that
 * integrators who already know them need no mapping; the others follow the same style.
 */
export const ENTITY_CATEGORIES = {
  // Personal identifiers (HIPAA Safe Harbor's list and GDPR personal data)
  PERSON: ['phi', 'personal'],
  EMAIL_ADDRESS: ['phi', 'personal'],
  PHONE_NUMBER: ['phi', 'personal'],
  DATE_TIME: ['phi', 'personal'],
  AGE: ['phi', 'personal'],
  US_ZIP_CODE: ['phi', 'personal'],
  US_STREET_ADDRESS: ['phi', 'personal'],
  URL: ['phi'],
  IP_ADDRESS: ['phi', 'personal'],
  MAC_ADDRESS: ['phi', 'personal'],
  US_SSN: ['phi', 'personal'],
  US_ITIN: ['phi', 'personal', 'financial'],
  US_PASSPORT: ['phi', 'personal'],
  US_DRIVER_LICENSE: ['phi', 'personal'],
  VIN: ['phi', 'personal'],
  IMEI: ['phi', 'personal'],
  DEVICE_ID: ['phi'],
  // Health
  MEDICAL_RECORD_NUMBER: ['phi', 'personal'],
  HEALTH_PLAN_ID: ['phi', 'personal'],
  US_MBI: ['phi', 'personal'],
  US_NPI: ['phi'],
  MEDICAL_LICENSE: ['phi'],
  UK_NHS: ['phi', 'personal'],
  // Financial
  CREDIT_CARD: ['phi', 'personal', 'financial'],
  IBAN_CODE: ['personal', 'financial'],
  US_BANK_NUMBER: ['phi', 'personal', 'financial'],
  ABA_ROUTING_NUMBER: ['financial'],
  CRYPTO: ['personal', 'financial'],
  // National identifiers outside the US (recognizers/national.ts): found for the client's jurisdictions, or after a cue
  UK_NINO: ['personal'],
  UK_PASSPORT: ['personal'],
  UK_DRIVING_LICENCE: ['personal'],
  UK_POSTCODE: ['personal'],
  DE_TAX_ID: ['personal', 'financial'],
  DE_ID_CARD: ['personal'],
  DE_PASSPORT: ['personal'],
  DE_HEALTH_INSURANCE: ['phi', 'personal'],
  FR_NIR: ['personal'],
  ES_DNI: ['personal'],
  ES_NIE: ['personal'],
  IT_CODICE_FISCALE: ['personal'],
  NL_BSN: ['personal'],
  SE_PERSONNUMMER: ['personal'],
  FI_HETU: ['personal'],
  PL_PESEL: ['personal'],
  EU_VAT: ['financial'],
  CA_SIN: ['personal'],
  IN_AADHAAR: ['personal'],
  IN_PAN: ['personal', 'financial'],
  AU_TFN: ['personal', 'financial'],
  AU_MEDICARE: ['phi', 'personal'],
  // Secrets
  AWS_ACCESS_KEY: ['secret'],
  AWS_SECRET_KEY: ['secret'],
  GITHUB_TOKEN: ['secret'],
  GITLAB_TOKEN: ['secret'],
  SLACK_TOKEN: ['secret'],
  STRIPE_KEY: ['secret'],
  OPENAI_API_KEY: ['secret'],
  JWT: ['secret'],
  PRIVATE_KEY: ['secret'],
  GENERIC_SECRET: ['secret'],
} as const satisfies Record<string, readonly Category[]>;

/** phi: a HIPAA identifier; personal: GDPR personal data; financial: payment data; secret: a credential. */
export type Category = 'phi' | 'personal' | 'financial' | 'secret';
export type BuiltInEntity = keyof typeof ENTITY_CATEGORIES;
export const BUILT_IN_ENTITIES = Object.keys(ENTITY_CATEGORIES) as BuiltInEntity[];

/** Built-in entities of a category. */
export function entitiesIn(category: Category): BuiltInEntity[] {
  return BUILT_IN_ENTITIES.filter((entity) => (ENTITY_CATEGORIES[entity] as readonly Category[]).includes(category));
}

/** One piece of sensitive data in a text. Offsets are JavaScript string indices, end exclusive. */
export interface Finding {
  /** A built-in entity, or the entity name of a client's custom pattern. */
  entity: string;
  start: number;
  end: number;
  /** 0 to 1: how sure the engine is. Validated structure and context words raise it. */
  score: number;
  /** The recognizer that fired, such as "credit-card.luhn". */
  rule: string;
}
