import { luhn } from './checksums.js';

/**
 * Check digits of national identifiers outside the US, each from its issuer's published rule. Pure functions on the
 * identifier written without separators (upper-case letters, digits).
 */

const digitAt = (s: string, i: number): number => s.charCodeAt(i) - 48;
const isDigits = (s: string): boolean => /^\d+$/.test(s);

/** A weighted sum of digits. */
function weighted(digits: string, weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += digitAt(digits, i) * weights[i]!;
  return sum;
}

function validDay(year: number, month: number, day: number): boolean {
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30];
  return month >= 1 && month <= 12 && day >= 1 && day <= ([...days, 31, 30, 31][month - 1] ?? 0);
}

/** ISO 7064 MOD 11,10 (a hybrid system): German tax ids and VAT numbers. */
export function mod11x10(digits: string): boolean {
  let product = 10;
  for (let i = 0; i < digits.length - 1; i++) {
    let sum = (digitAt(digits, i) + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product;
  return (check === 10 ? 0 : check) === digitAt(digits, digits.length - 1);
}

/** ICAO 9303 check digit (weights 7, 3, 1; letters 10 to 35): machine-readable travel documents. */
export function icaoCheckDigit(value: string): number {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const n = code >= 65 ? code - 55 : code === 60 ? 0 : code - 48;
    sum += n * weights[i % 3]!;
  }
  return sum % 10;
}

// Verhoeff's dihedral group D5: multiplication, and the permutation applied to each position.
const VERHOEFF_D = [
  '0123456789',
  '1234067895',
  '2340178956',
  '3401289567',
  '4012395678',
  '5987604321',
  '6598710432',
  '7659821043',
  '8765932104',
  '9876543210',
].map((row) => [...row].map(Number));
const VERHOEFF_P = [
  '0123456789',
  '1576283094',
  '5803796142',
  '8916043527',
  '9453126870',
  '4286573901',
  '2793806415',
  '7046913258',
].map((row) => [...row].map(Number));

/** Verhoeff's check (catches every single error and adjacent swap): Aadhaar. */
export function verhoeff(digits: string): boolean {
  let c = 0;
  for (let i = 0; i < digits.length; i++)
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![digitAt(digits, digits.length - 1 - i)]!]!;
  return c === 0;
}

/** UK National Insurance number: prefix letters HMRC allocates, six digits, suffix A to D. */
export function validNino(value: string): boolean {
  return /^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/.test(value);
}

/** UK postcode (Royal Mail's outward and inward codes), written without its space. */
export function validUkPostcode(value: string): boolean {
  return /^(?:[A-PR-UWYZ](?:\d[A-HJKPSTUW]?|[A-HK-Y]\d[ABEHMNPRVWXY]?|\d\d|[A-HK-Y]\d\d)\d[ABD-HJLNP-UW-Z]{2}|GIR0AA)$/.test(
    value,
  );
}

/** UK (DVLA) driving licence: surname, birth date (month + 50 for women), initials, a digit and two check characters. */
export function validUkDrivingLicence(value: string): boolean {
  const m = /^[A-Z][A-Z9]{4}\d(\d{2})(\d{2})\d[A-Z][A-Z9]\d[A-Z0-9]{2}$/.exec(value);
  if (!m) return false;
  const month = Number(m[1]) > 50 ? Number(m[1]) - 50 : Number(m[1]);
  const day = Number(m[2]);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** German tax id (IdNr): eleven digits, one digit of the first ten twice or thrice (not three in a row), MOD 11,10. */
export function validDeTaxId(digits: string): boolean {
  if (!/^[1-9]\d{10}$/.test(digits)) return false;
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 10; i++) counts[digitAt(digits, i)]!++;
  const repeated = counts.filter((n) => n > 1);
  if (repeated.length !== 1 || repeated[0]! > 3) return false;
  if (repeated[0] === 3 && /(\d)\1\1/.test(digits.slice(0, 10))) return false;
  return mod11x10(digits);
}

// Letters of the serial numbers of German identity cards and passports (no vowels, no B, D, Q, S).
const DE_SERIAL = /^[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}$/;

/**
 * German identity card (since 2010) or passport: nine characters of the document alphabet, the first a letter
 * (identity cards L-Y, passports C-K); with the check digit the MRZ prints after it, when written.
 */
export function validDeDocument(value: string, kind: 'id-card' | 'passport'): boolean {
  const serial = value.slice(0, 9);
  if (!DE_SERIAL.test(serial) || !/\d/.test(serial)) return false;
  if (kind === 'id-card' ? !/^[LMNPRTVWXY]/.test(serial) : !/^[CFGHJK]/.test(serial)) return false;
  if (value.length === 9) return true;
  return value.length === 10 && icaoCheckDigit(serial) === digitAt(value, 9);
}

/** German health insurance number (KVNR): a letter and nine digits; the letter as 01-26, weights 1,2, cross sums. */
export function validDeHealthInsurance(value: string): boolean {
  if (!/^[A-Z][1-9]\d{8}$/.test(value)) return false;
  const digits = String(value.charCodeAt(0) - 64).padStart(2, '0') + value.slice(1, 9);
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const product = digitAt(digits, i) * (i % 2 === 0 ? 1 : 2);
    sum += product > 9 ? product - 9 : product;
  }
  return sum % 10 === digitAt(value, 9);
}

/** French NIR (numéro de sécurité sociale): sex, year, month, département (2A, 2B for Corsica), key 97 − n mod 97. */
export function validFrNir(value: string): boolean {
  const m = /^([1-478])(\d{2})(0[1-9]|1[0-2]|20|3\d|4[0-2]|[5-9]\d)(\d{2}|2[AB])(\d{6})(\d{2})$/.exec(value);
  if (!m) return false;
  const dept = m[4]!;
  let n = Number(`${m[1]}${m[2]}${m[3]}${dept.replace(/[AB]/, '0')}${m[5]}`);
  if (dept === '2A') n -= 1_000_000;
  if (dept === '2B') n -= 2_000_000;
  return 97 - (n % 97) === Number(m[6]);
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Spanish DNI: eight digits and the letter of their remainder mod 23. */
export function validEsDni(value: string): boolean {
  return /^\d{8}[A-Z]$/.test(value) && DNI_LETTERS[Number(value.slice(0, 8)) % 23] === value[8];
}

/** Spanish NIE: X, Y or Z (read as 0, 1, 2), seven digits and the DNI letter. */
export function validEsNie(value: string): boolean {
  if (!/^[XYZ]\d{7}[A-Z]$/.test(value)) return false;
  return validEsDni(String('XYZ'.indexOf(value[0]!)) + value.slice(1));
}

// Values of the characters in odd positions of a codice fiscale (A/0 = 1, B/1 = 0, …), from the decree's table.
const CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
// Digits replaced in codes issued twice (omocodia).
const CF_OMOCODE = 'LMNPQRSTUV';

/** Italian codice fiscale: surname, name, birth date, place (digits possibly replaced by letters), check letter. */
export function validItCodiceFiscale(value: string): boolean {
  if (!/^[A-Z]{6}[\dLMNP-V]{2}[ABCDEHLMPRST][\dLMNP-V]{2}[A-Z][\dLMNP-V]{3}[A-Z]$/.test(value)) return false;
  const day = Number(value.slice(9, 11).replace(/[LMNP-V]/g, (c) => String(CF_OMOCODE.indexOf(c))));
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) return false;
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const code = value.charCodeAt(i);
    const index = code >= 65 ? code - 65 : code - 48;
    sum += i % 2 === 0 ? CF_ODD[index]! : index;
  }
  return String.fromCharCode(65 + (sum % 26)) === value[15];
}

/** Dutch BSN: nine digits passing the "11-proof" (weights 9 to 2, and −1 for the last). */
export function validNlBsn(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || /^0{9}$/.test(digits)) return false;
  return (weighted(digits, [9, 8, 7, 6, 5, 4, 3, 2]) - digitAt(digits, 8)) % 11 === 0;
}

/**
 * Swedish personnummer or samordningsnummer (day + 60): birth date YYMMDD (or YYYYMMDD) and four digits, Luhn over
 * the ten digits.
 */
export function validSePersonnummer(digits: string): boolean {
  if (!/^(?:\d{10}|\d{12})$/.test(digits)) return false;
  const ten = digits.slice(-10);
  const day = Number(ten.slice(4, 6));
  const year = digits.length === 12 ? Number(digits.slice(0, 4)) : 2000 + Number(ten.slice(0, 2));
  if (!validDay(year, Number(ten.slice(2, 4)), day > 60 ? day - 60 : day)) return false;
  return luhn(ten);
}

const HETU_CHECK = '0123456789ABCDEFHJKLMNPRSTUVWXY';
const HETU_CENTURY: Record<string, number> = { '+': 1800, '-': 1900, A: 2000 };
for (const c of 'UVWXY') HETU_CENTURY[c] = 1900;
for (const c of 'BCDEF') HETU_CENTURY[c] = 2000;

/** Finnish HETU: DDMMYY, the century sign, an individual number 002-899, and the check character of them mod 31. */
export function validFiHetu(value: string): boolean {
  const m = /^(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])$/.exec(value);
  if (!m) return false;
  const individual = Number(m[5]);
  if (individual < 2 || individual > 899) return false;
  if (!validDay(HETU_CENTURY[m[4]!]! + Number(m[3]), Number(m[2]), Number(m[1]))) return false;
  return HETU_CHECK[Number(`${m[1]}${m[2]}${m[3]}${m[5]}`) % 31] === m[6];
}

/** Polish PESEL: birth date (the month carries the century), serial, check digit from weights 1,3,7,9. */
export function validPlPesel(digits: string): boolean {
  if (!/^\d{11}$/.test(digits)) return false;
  const coded = Number(digits.slice(2, 4));
  const century = [1900, 2000, 2100, 2200, 1800][Math.floor(coded / 20)]!;
  if (!validDay(century + Number(digits.slice(0, 2)), coded % 20, Number(digits.slice(4, 6)))) return false;
  const sum = weighted(digits, [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
  return (10 - (sum % 10)) % 10 === digitAt(digits, 10);
}

/** Canadian SIN: nine digits, Luhn; none start with 0 or 8. */
export function validCaSin(digits: string): boolean {
  return /^[1-79]\d{8}$/.test(digits) && luhn(digits);
}

/** Aadhaar: twelve digits, not starting with 0 or 1, Verhoeff's check digit. */
export function validInAadhaar(digits: string): boolean {
  return /^[2-9]\d{11}$/.test(digits) && verhoeff(digits);
}

/** Indian PAN: five letters (the fourth the holder's kind), four digits, a letter. */
export function validInPan(value: string): boolean {
  return /^[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]$/.test(value);
}

/** Australian TFN: eight or nine digits whose weighted sum is divisible by 11. */
export function validAuTfn(digits: string): boolean {
  if (digits.length === 9) return weighted(digits, [1, 4, 3, 7, 5, 8, 6, 9, 10]) % 11 === 0;
  return digits.length === 8 && weighted(digits, [10, 7, 8, 4, 6, 3, 5, 1]) % 11 === 0;
}

/** Australian Medicare card: first digit 2-6, check digit 9th (weights 1,3,7,9), issue number, optional IRN. */
export function validAuMedicare(digits: string): boolean {
  if (!/^[2-6]\d{7}\d[1-9]\d?$/.test(digits)) return false;
  return weighted(digits, [1, 3, 7, 9, 1, 3, 7, 9]) % 10 === digitAt(digits, 8);
}

/** ISO 7064 MOD 97-10 over digits and letters (A = 10): 1 for a valid number. */
function mod97(value: string): number {
  let remainder = 0;
  for (const c of value) {
    const code = c.charCodeAt(0);
    const n = code >= 65 ? code - 55 : code - 48;
    remainder = n > 9 ? (remainder * 100 + n) % 97 : (remainder * 10 + n) % 97;
  }
  return remainder;
}

/** Spanish company NIF (CIF): a letter, seven digits and a control digit or letter. */
function validEsCif(value: string): boolean {
  if (!/^[ABCDEFGHJNPQRSUVW]\d{7}[0-9A-J]$/.test(value)) return false;
  let sum = 0;
  for (let i = 1; i <= 7; i++) {
    const d = digitAt(value, i);
    if (i % 2 === 0) sum += d;
    else sum += d * 2 > 9 ? d * 2 - 9 : d * 2;
  }
  const control = (10 - (sum % 10)) % 10;
  return value[8] === String(control) || value[8] === 'JABCDEFGHI'[control];
}

/**
 * EU VAT numbers after their country prefix: the format each member state uses (VIES), and the check digit where the
 * state publishes it (DE, FR, IT, ES, NL, BE, AT, PL, DK, FI, LU, PT, SE, SI).
 */
const VAT: Record<string, { format: RegExp; check?: (number: string) => boolean }> = {
  AT: {
    format: /^U\d{8}$/,
    check: (n) => {
      let sum = 0;
      for (let i = 1; i < 8; i++) {
        const product = digitAt(n, i) * (i % 2 === 1 ? 1 : 2);
        sum += product > 9 ? product - 9 : product;
      }
      return (10 - ((sum + 4) % 10)) % 10 === digitAt(n, 8);
    },
  },
  BE: { format: /^[01]\d{9}$/, check: (n) => 97 - (Number(n.slice(0, 8)) % 97) === Number(n.slice(8)) },
  BG: { format: /^\d{9,10}$/ },
  CY: { format: /^\d{8}[A-Z]$/ },
  CZ: { format: /^\d{8,10}$/ },
  DE: { format: /^[1-9]\d{8}$/, check: mod11x10 },
  DK: { format: /^[1-9]\d{7}$/, check: (n) => weighted(n, [2, 7, 6, 5, 4, 3, 2, 1]) % 11 === 0 },
  EE: { format: /^10\d{7}$/ },
  EL: { format: /^\d{9}$/ },
  ES: {
    format: /^[A-Z0-9]\d{7}[A-Z0-9]$/,
    check: (n) => validEsDni(n) || validEsNie(n) || validEsCif(n) || /^[KLM]\d{7}[A-Z]$/.test(n),
  },
  FI: {
    format: /^\d{8}$/,
    check: (n) => {
      const r = weighted(n, [7, 9, 10, 5, 8, 4, 2]) % 11;
      return r !== 1 && (r === 0 ? 0 : 11 - r) === digitAt(n, 7);
    },
  },
  FR: { format: /^\d{11}$/, check: (n) => (12 + 3 * (Number(n.slice(2)) % 97)) % 97 === Number(n.slice(0, 2)) },
  HR: { format: /^\d{11}$/, check: mod11x10 },
  HU: { format: /^\d{8}$/ },
  IE: { format: /^\d[A-Z0-9+*]\d{5}[A-W][A-IW]?$/ },
  IT: { format: /^\d{11}$/, check: luhn },
  LT: { format: /^(?:\d{9}|\d{12})$/ },
  LU: { format: /^\d{8}$/, check: (n) => Number(n.slice(0, 6)) % 89 === Number(n.slice(6)) },
  LV: { format: /^\d{11}$/ },
  MT: { format: /^[1-9]\d{7}$/ },
  NL: {
    format: /^\d{9}B\d{2}$/,
    check: (n) => {
      const r = weighted(n, [9, 8, 7, 6, 5, 4, 3, 2]) % 11;
      return r === digitAt(n, 8) || mod97(`NL${n}`) === 1;
    },
  },
  PL: { format: /^\d{10}$/, check: (n) => weighted(n, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11 === digitAt(n, 9) },
  PT: {
    format: /^[1-9]\d{8}$/,
    check: (n) => {
      const r = 11 - (weighted(n, [9, 8, 7, 6, 5, 4, 3, 2]) % 11);
      return (r >= 10 ? 0 : r) === digitAt(n, 8);
    },
  },
  RO: { format: /^[1-9]\d{1,9}$/ },
  SE: { format: /^\d{10}01$/, check: (n) => luhn(n.slice(0, 10)) },
  SI: {
    format: /^[1-9]\d{7}$/,
    check: (n) => {
      const r = 11 - (weighted(n, [8, 7, 6, 5, 4, 3, 2]) % 11);
      return r !== 11 && (r === 10 ? 0 : r) === digitAt(n, 7);
    },
  },
  SK: { format: /^[1-9]\d{9}$/, check: (n) => Number(n) % 11 === 0 },
};

/** An EU VAT id, prefix and number: 'checked' when its check digit holds, 'format' where none is defined. */
export function euVat(value: string): 'checked' | 'format' | null {
  const rule = VAT[value.slice(0, 2)];
  const number = value.slice(2);
  if (!rule || !rule.format.test(number) || (isDigits(number) && /^(\d)\1+$/.test(number))) return null;
  if (!rule.check) return 'format';
  return rule.check(number) ? 'checked' : null;
}

export const EU_VAT_PREFIXES: ReadonlySet<string> = new Set(Object.keys(VAT));
