import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';

/** ISO 3166-1 alpha-2, as the phone-number metadata knows the regions (upper-cased). */
export const CountryCode2 = z
  .string()
  .trim()
  .transform((code) => code.toUpperCase())
  .refine((code) => /^[A-Z]{2}$/.test(code) && isSupportedCountry(code), 'not an ISO 3166-1 alpha-2 country code')
  .describe('ISO 3166-1 alpha-2, such as GB or US');
