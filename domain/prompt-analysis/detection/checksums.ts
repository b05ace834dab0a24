/** Check digits and number-range rules of identifiers, from their public specifications. Pure functions on strings. */

const digitAt = (s: string, i: number): number => s.charCodeAt(i) - 48;

/** Luhn (ISO/IEC 7812-1): payment cards, IMEI, and NPI with its 80840 prefix. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digitAt(digits, i);
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits.length > 1 && sum % 10 === 0;
}

/** The same digit repeated, or a run like 123456789: placeholders, never real identifiers. */
export function isPlaceholder(digits: string): boolean {
  if (/^(\d)\1*$/.test(digits)) return true;
  return '01234567890123456789'.includes(digits) || '98765432109876543210'.includes(digits);
}

/**
 * Payment card issuer ranges (IIN) with the lengths each network issues: Visa, UATP (airlines, 15 digits from 1),
 * Mir, Mastercard (51-55 and 2221-2720), Amex, Discover (with China UnionPay's co-branded 622126-622925), Diners,
 * JCB, UnionPay, Maestro (and RuPay, Verve, InterPayment, Dankort and Elo inside 50 and 56-69), RuPay's 81-82, Troy.
 */
export function cardNetwork(digits: string): string | null {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === '4' && (n === 13 || n === 16 || n === 19)) return 'visa';
  if (digits[0] === '1' && n === 15) return 'uatp';
  if (p4 >= 2200 && p4 <= 2204 && n >= 16 && n <= 19) return 'mir';
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n === 16) return 'mastercard';
  if ((p2 === 34 || p2 === 37) && n === 15) return 'amex';
  if ((p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) && n >= 16 && n <= 19)
    return 'discover';
  if (((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) && n >= 14 && n <= 19) return 'diners';
  if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19) return 'jcb';
  if (p2 === 62 && n >= 16 && n <= 19) return 'unionpay';
  if ((p2 === 50 || (p2 >= 56 && p2 <= 69)) && n >= 12 && n <= 19) return 'maestro';
  if ((p2 === 81 || p2 === 82) && n === 16) return 'rupay';
  if (p4 === 9792 && n === 16) return 'troy';
  return null;
}

const ADVERTISING_SSNS = new Set(['078051120', '219099999', '457555462']);

/** SSA rules: no area 000, 666 or 900-999, no group 00, no serial 0000, and not a number used in advertising. */
export function validSsn(digits: string): boolean {
  const area = Number(digits.slice(0, 3));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  return !ADVERTISING_SSNS.has(digits) && !isPlaceholder(digits);
}

/** IRS ITIN: 9XX-YY-ZZZZ with YY in 50-65, 70-88, 90-92 or 94-99. */
export function validItin(digits: string): boolean {
  if (digits[0] !== '9') return false;
  const group = Number(digits.slice(3, 5));
  return (group >= 50 && group <= 65) || (group >= 70 && group <= 88) || (group >= 90 && group <= 92) || group >= 94;
}

/** ABA routing transit number: a Federal Reserve prefix and the 3-7-1 weighted checksum. */
export function validAbaRouting(digits: string): boolean {
  const prefix = Number(digits.slice(0, 2));
  const knownPrefix = prefix <= 12 || (prefix >= 21 && prefix <= 32) || (prefix >= 61 && prefix <= 72) || prefix === 80;
  if (!knownPrefix || isPlaceholder(digits)) return false;
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  const sum = weights.reduce((total, weight, i) => total + weight * digitAt(digits, i), 0);
  return sum % 10 === 0;
}

/** NPI: ten digits starting 1 or 2, Luhn-valid once prefixed with 80840 (the health industry's ISO issuer). */
export function validNpi(digits: string): boolean {
  return digits.length === 10 && (digits[0] === '1' || digits[0] === '2') && luhn(`80840${digits}`);
}

/** NHS number: weights 10..2 over the first nine digits, mod 11; a check digit of 10 is never issued. */
export function validNhs(digits: string): boolean {
  if (digits.length !== 10 || isPlaceholder(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += digitAt(digits, i) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === digitAt(digits, 9);
}

/** DEA registration number: two letters and seven digits; (d1+d3+d5) + 2(d2+d4+d6) ends in the check digit. */
export function validDea(value: string): boolean {
  if (!/^[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7}$/.test(value)) return false;
  const d = value.slice(2);
  const sum = digitAt(d, 0) + digitAt(d, 2) + digitAt(d, 4) + 2 * (digitAt(d, 1) + digitAt(d, 3) + digitAt(d, 5));
  return sum % 10 === digitAt(d, 6);
}

// MBI: letters exclude S, L, O, I, B and Z so that they cannot be read as digits.
const MBI = /^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y]{2}\d{2}$/;

/** Medicare Beneficiary Identifier: eleven characters, each position numeric, alphabetic or either (CMS format). */
export function validMbi(value: string): boolean {
  return MBI.test(value);
}

const VIN_VALUES: Record<string, number> = Object.fromEntries(
  [...'ABCDEFGHJKLMNPRSTUVWXYZ'].map((c) => [
    c,
    [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]['ABCDEFGHJKLMNPRSTUVWXYZ'.indexOf(c)]!,
  ]),
);
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** Vehicle identification number (ISO 3779, North American check digit in position 9). */
export function validVin(value: string): boolean {
  if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(value) || !/\d/.test(value) || !/[A-Z]/.test(value)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = value[i]!;
    sum += (c >= '0' && c <= '9' ? Number(c) : VIN_VALUES[c]!) * VIN_WEIGHTS[i]!;
  }
  const check = sum % 11;
  return value[8] === (check === 10 ? 'X' : String(check));
}

/** IBAN lengths per country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HN: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/** IBAN (ISO 13616): the country's length and mod-97 of the rearranged number equal to 1. */
export function validIban(value: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(value) || IBAN_LENGTHS[value.slice(0, 2)] !== value.length) return false;
  const rearranged = value.slice(4) + value.slice(0, 4);
  let remainder = 0;
  for (const c of rearranged) {
    const code = c.charCodeAt(0);
    const n = code >= 65 ? code - 55 : code - 48;
    remainder = n > 9 ? (remainder * 100 + n) % 97 : (remainder * 10 + n) % 97;
  }
  return remainder === 1;
}

/** Shannon entropy in bits per character: random keys score high, words and repeated characters low. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
