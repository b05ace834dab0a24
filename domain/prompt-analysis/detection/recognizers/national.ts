import type { Span } from '../cluster.js';
import {
  euVat,
  EU_VAT_PREFIXES,
  validAuMedicare,
  validAuTfn,
  validCaSin,
  validDeDocument,
  validDeHealthInsurance,
  validDeTaxId,
  validEsDni,
  validEsNie,
  validFiHetu,
  validFrNir,
  validInAadhaar,
  validInPan,
  validItCodiceFiscale,
  validNino,
  validNlBsn,
  validPlPesel,
  validSePersonnummer,
  validUkDrivingLicence,
  validUkPostcode,
} from '../national-checksums.js';
import { isPlaceholder } from '../checksums.js';
import { words, type Scan } from '../scan.js';
import { shapeIs, spanRecognizer, uniform, type SpanRecognizer } from './recognizer.js';

/**
 * Identifiers of other countries, labelled by name. When one runs (README, "Prompt analysis"):
 * - always when its cue is near ("NINO", "BSN", "PESEL", "Steuer-ID": the words that name that identifier), at a high
 *   score, whatever the client;
 * - otherwise only for a client whose jurisdictions include its country: a region of the policy, or any EU member
 *   state for a client held to GDPR ("EU" for the VAT ids, which cross borders). Then a validated and distinctive
 *   form scores 0.5 or more, and a bare run of digits with only a checksum (nine digits passing the 11-proof) stays
 *   below it, as nine bare digits do for SSNs.
 * A form that matched is 'formatted' (written with the separators its issuer prints) or 'plain'.
 */

type Form = 'formatted' | 'plain';

/** An identifier's cue words, as a test near a match and as words to look for in the whole text. */
interface Cue {
  near: RegExp;
  words: string[];
}
const cue = (...list: string[]): Cue => ({ near: words(...list), words: list });

interface NationalId {
  entity: string;
  rule: string;
  /** The jurisdiction that turns it on: an ISO 3166-1 region, or EU. */
  country: string;
  length: readonly [number, number];
  kind: 'numeric' | 'alnum' | 'any';
  /** Words that name the identifier: where they are near, it is found for every client. */
  cue: Cue;
  /** Scores in its jurisdiction without a cue, by form; below 0.5 is a weak guess. */
  scores: Record<Form, number>;
  cueScore?: number;
  /** The form it was written in, when the span is one; a found identifier may extend beyond the span. */
  match(span: Span, scan: Scan): { form: Form; start?: number; end?: number } | null;
}

const spaced = (span: Span, ...shapes: number[][]): boolean =>
  span.shape.length > 1 && shapeIs(span, ...shapes) && uniform(span, ' -');
const single = (span: Span): boolean => span.shape.length === 1;
const form = (formatted: boolean): { form: Form } => ({ form: formatted ? 'formatted' : 'plain' });
/** Not a placeholder run of one digit (000000000) either. */
const real =
  (valid: (compact: string) => boolean) =>
  (compact: string): boolean =>
    valid(compact) && !isPlaceholder(compact);
/** A number written whole or in one of its groupings, valid by its check: formatted when grouped. */
const wholeOrGrouped =
  (valid: (compact: string) => boolean, ...groupings: number[][]) =>
  (span: Span) => {
    const formatted = spaced(span, ...groupings);
    return (formatted || single(span)) && valid(span.compact) ? form(formatted) : null;
  };

/** Upper-case letters written apart before or after the digits ("AB 12 34 56 C"): read from the text as written. */
const LETTERS_BEFORE = /(?:^|[^A-Za-z0-9])([A-Z]{2}) $/;
const LETTER_AFTER = /^ ([A-D])(?![A-Za-z0-9])/;

const IDS: NationalId[] = [
  {
    entity: 'UK_NINO',
    rule: 'uk-nino.format',
    country: 'GB',
    length: [6, 9],
    kind: 'any',
    cue: cue('nino', 'ni number', 'ni no', 'national insurance', 'national insurance number', 'nin'),
    scores: { formatted: 0.7, plain: 0.6 },
    match(span, scan) {
      if (span.compact.length === 9 && !span.numeric && single(span) && validNino(span.compact)) return form(false);
      // "AB 12 34 56 C" or "AB 123456 C": the cluster holds only the digits.
      if (!span.numeric || !(shapeIs(span, [2, 2, 2]) || shapeIs(span, [6])) || !uniform(span, ' ')) return null;
      const before = LETTERS_BEFORE.exec(scan.text.slice(Math.max(0, span.start - 4), span.start));
      const after = LETTER_AFTER.exec(scan.text.slice(span.end, span.end + 3));
      if (!before || !after || !validNino(before[1]! + span.compact + after[1]!)) return null;
      return { form: 'formatted', start: span.start - 3, end: span.end + 2 };
    },
  },
  {
    entity: 'UK_PASSPORT',
    rule: 'uk-passport.context',
    country: 'GB',
    length: [9, 9],
    kind: 'numeric',
    cue: cue('uk passport', 'british passport', 'hm passport', 'hmpo'),
    // Nine digits like a US passport book: only the word "passport" for a UK client makes it one.
    scores: { formatted: 0.86, plain: 0 },
    match(span, scan) {
      if (!single(span) || isPlaceholder(span.compact)) return null;
      return scan.countries.has('GB') && scan.hasContext(span.start, span.end, words('passport'))
        ? { form: 'formatted' }
        : { form: 'plain' };
    },
  },
  {
    entity: 'UK_DRIVING_LICENCE',
    rule: 'uk-driving-licence.format',
    country: 'GB',
    length: [16, 16],
    kind: 'alnum',
    cue: cue('driving licence', 'driving license', 'driver licence', 'dvla', 'licence number', 'licence no'),
    scores: { formatted: 0.7, plain: 0.65 },
    match: (span) =>
      (single(span) || spaced(span, [5, 6, 5])) && validUkDrivingLicence(span.compact) ? form(!single(span)) : null,
  },
  {
    entity: 'UK_POSTCODE',
    rule: 'uk-postcode.format',
    country: 'GB',
    length: [5, 7],
    kind: 'alnum',
    cue: cue('postcode', 'post code', 'postal code'),
    scores: { formatted: 0.6, plain: 0.4 },
    cueScore: 0.9,
    match(span) {
      const formatted = span.shape.length === 2 && span.separators[0] === ' ' && span.shape[1] === 3;
      return (formatted || single(span)) && validUkPostcode(span.compact) ? form(formatted) : null;
    },
  },
  {
    entity: 'DE_TAX_ID',
    rule: 'de-tax-id.mod11-10',
    country: 'DE',
    length: [11, 11],
    kind: 'numeric',
    cue: cue(
      'steuer-id',
      'steuerid',
      'steuer-idnr',
      'idnr',
      'identifikationsnummer',
      'steueridentifikationsnummer',
      'steuerliche identifikationsnummer',
      'tax id',
      'tin',
    ),
    scores: { formatted: 0.65, plain: 0.55 },
    match: (span) =>
      (single(span) || spaced(span, [2, 3, 3, 3])) && validDeTaxId(span.compact) ? form(!single(span)) : null,
  },
  {
    entity: 'DE_ID_CARD',
    rule: 'de-id-card.icao',
    country: 'DE',
    length: [9, 10],
    kind: 'alnum',
    cue: cue(
      'personalausweis',
      'personalausweisnummer',
      'ausweisnummer',
      'ausweis',
      'id card',
      'id-card',
      'identity card',
      'identity document',
    ),
    // Nine characters without the MRZ's check digit are a guess, even for a German client.
    scores: { formatted: 0.55, plain: 0.3 },
    cueScore: 0.9,
    match: (span) =>
      single(span) && validDeDocument(span.compact, 'id-card') ? form(span.compact.length === 10) : null,
  },
  {
    entity: 'DE_PASSPORT',
    rule: 'de-passport.icao',
    country: 'DE',
    length: [9, 10],
    kind: 'alnum',
    cue: cue('reisepass', 'reisepassnummer', 'passnummer', 'german passport', 'deutscher pass'),
    scores: { formatted: 0.7, plain: 0.3 },
    cueScore: 0.9,
    match(span, scan) {
      if (!single(span) || !validDeDocument(span.compact, 'passport')) return null;
      // "Passport" for a German client is enough: the alphabet is not a US passport's.
      if (scan.countries.has('DE') && scan.hasContext(span.start, span.end, words('passport', 'pass')))
        return { form: 'formatted' };
      return form(span.compact.length === 10);
    },
  },
  {
    entity: 'DE_HEALTH_INSURANCE',
    rule: 'de-kvnr.check-digit',
    country: 'DE',
    length: [10, 10],
    kind: 'alnum',
    cue: cue(
      'krankenversichertennummer',
      'versichertennummer',
      'versicherten-nr',
      'kvnr',
      'krankenkasse',
      'gesundheitskarte',
      'german health insurance',
    ),
    scores: { formatted: 0.6, plain: 0.6 },
    match: (span) => (single(span) && validDeHealthInsurance(span.compact) ? form(false) : null),
  },
  {
    entity: 'FR_NIR',
    rule: 'fr-nir.key',
    country: 'FR',
    length: [15, 15],
    kind: 'any',
    cue: cue(
      'nir',
      'insee',
      'sécurité sociale',
      'securite sociale',
      'sécu',
      'secu',
      'carte vitale',
      'social security',
      'numéro de sécurité sociale',
    ),
    scores: { formatted: 0.75, plain: 0.6 },
    match: wholeOrGrouped(validFrNir, [1, 2, 2, 2, 3, 3, 2], [13, 2]),
  },
  {
    entity: 'ES_DNI',
    rule: 'es-dni.letter',
    country: 'ES',
    length: [9, 9],
    kind: 'alnum',
    cue: cue('dni', 'nif', 'documento nacional', 'documento nacional de identidad'),
    scores: { formatted: 0.75, plain: 0.75 },
    match(span) {
      const dotted = shapeIs(span, [2, 3, 3, 1]) && span.separators.join('') === '..-';
      const ok = single(span) || dotted || (shapeIs(span, [8, 1]) && uniform(span, ' -'));
      return ok && validEsDni(span.compact) ? form(!single(span)) : null;
    },
  },
  {
    entity: 'ES_NIE',
    rule: 'es-nie.letter',
    country: 'ES',
    length: [9, 9],
    kind: 'alnum',
    cue: cue('nie', 'número de identidad de extranjero', 'foreigner identity number'),
    scores: { formatted: 0.75, plain: 0.75 },
    match(span) {
      const ok = single(span) || (shapeIs(span, [1, 7, 1], [8, 1]) && uniform(span, ' -'));
      return ok && validEsNie(span.compact) ? form(!single(span)) : null;
    },
  },
  {
    entity: 'IT_CODICE_FISCALE',
    rule: 'it-codice-fiscale.check',
    country: 'IT',
    length: [16, 16],
    kind: 'alnum',
    cue: cue('codice fiscale', 'cod\\. fisc\\.?', 'c\\.f\\.', 'cf', 'tax code'),
    scores: { formatted: 0.8, plain: 0.8 },
    match: (span) => (single(span) && validItCodiceFiscale(span.compact) ? form(false) : null),
  },
  {
    entity: 'NL_BSN',
    rule: 'nl-bsn.11-proof',
    country: 'NL',
    length: [9, 9],
    kind: 'numeric',
    cue: cue('bsn', 'burgerservicenummer', 'burger service nummer', 'sofinummer', 'sofi-nummer', 'sofi'),
    scores: { formatted: 0.55, plain: 0.4 },
    match(span) {
      const formatted = (shapeIs(span, [4, 2, 3]) && uniform(span, '.')) || spaced(span, [3, 3, 3]);
      return (formatted || single(span)) && validNlBsn(span.compact) && !isPlaceholder(span.compact)
        ? form(formatted)
        : null;
    },
  },
  {
    entity: 'SE_PERSONNUMMER',
    rule: 'se-personnummer.luhn',
    country: 'SE',
    length: [10, 12],
    kind: 'numeric',
    cue: cue('personnummer', 'personnr', 'pnr', 'samordningsnummer', 'person number', 'personal identity number'),
    scores: { formatted: 0.7, plain: 0.4 },
    match(span) {
      const formatted = shapeIs(span, [6, 4], [8, 4]) && uniform(span, '-+');
      return (formatted || single(span)) && validSePersonnummer(span.compact) ? form(formatted) : null;
    },
  },
  {
    entity: 'FI_HETU',
    rule: 'fi-hetu.mod31',
    country: 'FI',
    length: [10, 11],
    kind: 'any',
    cue: cue('henkilötunnus', 'henkilotunnus', 'hetu', 'sotu', 'personbeteckning', 'personal identity code'),
    scores: { formatted: 0.75, plain: 0.75 },
    match(span) {
      if (single(span)) return span.compact.length === 11 && validFiHetu(span.compact) ? form(true) : null;
      if (!shapeIs(span, [6, 4]) || !'-+'.includes(span.separators[0]!)) return null;
      return validFiHetu(span.raw) ? form(true) : null;
    },
  },
  {
    entity: 'PL_PESEL',
    rule: 'pl-pesel.weights',
    country: 'PL',
    length: [11, 11],
    kind: 'numeric',
    cue: cue('pesel', 'numer pesel'),
    scores: { formatted: 0.5, plain: 0.5 },
    match: (span) => (single(span) && real(validPlPesel)(span.compact) ? form(false) : null),
  },
  {
    entity: 'CA_SIN',
    rule: 'ca-sin.luhn',
    country: 'CA',
    length: [9, 9],
    kind: 'numeric',
    cue: cue('sin', 'social insurance', 'social insurance number', 'nas', "numéro d'assurance sociale"),
    scores: { formatted: 0.6, plain: 0.4 },
    match: wholeOrGrouped(real(validCaSin), [3, 3, 3]),
  },
  {
    entity: 'IN_AADHAAR',
    rule: 'in-aadhaar.verhoeff',
    country: 'IN',
    length: [12, 12],
    kind: 'numeric',
    cue: cue('aadhaar', 'aadhar', 'uidai', 'uid', 'uid number'),
    scores: { formatted: 0.7, plain: 0.45 },
    match: wholeOrGrouped(real(validInAadhaar), [4, 4, 4]),
  },
  {
    entity: 'IN_PAN',
    rule: 'in-pan.format',
    country: 'IN',
    length: [10, 10],
    kind: 'alnum',
    cue: cue('pan', 'pan card', 'pan no', 'permanent account number', 'income tax'),
    scores: { formatted: 0.6, plain: 0.6 },
    match: (span) => (single(span) && validInPan(span.compact) ? form(false) : null),
  },
  {
    entity: 'AU_TFN',
    rule: 'au-tfn.weights',
    country: 'AU',
    length: [8, 9],
    kind: 'numeric',
    cue: cue('tfn', 'tax file number', 'tax file no'),
    scores: { formatted: 0.55, plain: 0.4 },
    match: wholeOrGrouped(real(validAuTfn), [3, 3, 3], [3, 3, 2]),
  },
  {
    entity: 'AU_MEDICARE',
    rule: 'au-medicare.check-digit',
    country: 'AU',
    length: [10, 11],
    kind: 'numeric',
    cue: cue('medicare', 'medicare card', 'medicare number', 'medicare no'),
    scores: { formatted: 0.7, plain: 0.4 },
    match: wholeOrGrouped(validAuMedicare, [4, 5, 1], [4, 5, 1, 1]),
  },
];

/**
 * Whether any identifier's cue is anywhere in the text, found once per text in one case-insensitive pass (a third of a
 * millisecond for 64 KB): outside the client's jurisdictions an identifier is looked for only then, which keeps a US
 * client's detection as fast as before.
 */
const cuedTexts = new WeakMap<object, Set<Cue>>();
let anyCue: { cues: Cue[]; anywhere: RegExp } | undefined;

/** An alternation of words factored by their first characters, as a regular expression source. */
function trie(list: readonly string[]): string {
  const byFirst = new Map<string, string[]>();
  let empty = false;
  for (const w of list) {
    if (!w) empty = true;
    else byFirst.set(w[0]!, [...(byFirst.get(w[0]!) ?? []), w.slice(1)]);
  }
  const branches = [...byFirst].map(([c, rest]) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&') + trie(rest));
  if (branches.length === 0) return '';
  return `(?:${branches.join('|')})${empty ? '?' : ''}`;
}

function cuesIn(scan: Scan): Set<Cue> {
  let found = cuedTexts.get(scan);
  if (found) return found;
  anyCue ??= (() => {
    const cues = [...IDS.map((id) => id.cue), VAT_CUE];
    // As literals ("cod\\. fisc\\.?" is "cod. fisc"), in a trie: one test of a first letter at each word's start.
    const literals = cues.flatMap((c) => c.words).map((w) => w.replace(/\\.\?/g, '').replace(/\\(.)/g, '$1'));
    return { cues, anywhere: new RegExp(`\\b${trie(literals)}(?![a-z])`, 'gi') };
  })();
  found = new Set();
  for (const m of scan.text.matchAll(anyCue.anywhere)) {
    const word = ` ${m[0].toLowerCase()}`;
    for (const c of anyCue.cues) if (c.near.test(word)) found.add(c);
  }
  cuedTexts.set(scan, found);
  return found;
}

function recognizerFor(id: NationalId): SpanRecognizer {
  const cueScore = id.cueScore ?? 0.95;
  return spanRecognizer(id.length, id.kind, (span, scan) => {
    if (span.compact.length < id.length[0] || span.compact.length > id.length[1]) return;
    if (!scan.countries.has(id.country) && !cuesIn(scan).has(id.cue)) return;
    // The structure and check digit first: cheap, and rarely passed, so that the cue is looked for only then.
    const found = id.match(span, scan);
    if (!found) return;
    const start = found.start ?? span.start;
    const end = found.end ?? span.end;
    if (scan.hasContext(start, end, id.cue.near)) scan.add(id.entity, start, end, cueScore, id.rule);
    else if (scan.countries.has(id.country)) scan.add(id.entity, start, end, id.scores[found.form], id.rule);
  });
}

const VAT_CUE = cue(
  'vat',
  'vat id',
  'vat no',
  'vat number',
  'tva',
  'ust-idnr',
  'ust-id',
  'ustid',
  'umsatzsteuer',
  'btw',
  'iva',
  'partita iva',
  'p\\.iva',
  'nip',
  'uid',
  'mwst',
  'moms',
  'alv',
  'dic',
  'cif',
  'nif',
  'tax id',
);
const VAT_PREFIX_BEFORE = /(?:^|[^A-Za-z0-9])([A-Z]{2})[ -]?$/;

/**
 * EU VAT ids: a member state's prefix and its number ("DE 123456789", "ATU12345678", "NL123456789B01"), validated by
 * the state's check digit where it has one. The prefix may be written apart from the number.
 */
export const euVatId = spanRecognizer([4, 14], 'any', (span, scan) => {
  if (span.shape.length > 4 || !uniform(span, ' .-')) return;
  if (!scan.countries.has('EU') && !cuesIn(scan).has(VAT_CUE)) return;
  let value = span.compact;
  let start = span.start;
  if (!EU_VAT_PREFIXES.has(value.slice(0, 2)) || !/^[A-Z]{2}/.test(value)) {
    // The prefix written apart: an upper-case letter just before the digits, or before a space or dash.
    const { text } = scan;
    const before = text.charCodeAt(span.start - 1) === 32 || text.charCodeAt(span.start - 1) === 45 ? 2 : 1;
    const letter = text.charCodeAt(span.start - before);
    if (!span.numeric || letter < 65 || letter > 90) return;
    const prefix = VAT_PREFIX_BEFORE.exec(scan.text.slice(Math.max(0, span.start - 4), span.start));
    if (!prefix || !EU_VAT_PREFIXES.has(prefix[1]!)) return;
    value = prefix[1]! + value;
    start = Math.max(0, span.start - 4) + prefix.index + prefix[0].indexOf(prefix[1]!);
  }
  const valid = euVat(value);
  if (!valid) return;
  const cued = scan.hasContext(start, span.end, VAT_CUE.near);
  const score = cued ? (valid === 'checked' ? 0.95 : 0.9) : valid === 'checked' ? 0.85 : 0.45;
  if (cued || scan.countries.has('EU'))
    scan.add('EU_VAT', start, span.end, score, `eu-vat.${valid === 'checked' ? 'check-digit' : 'format'}`);
});

export function nationalRecognizers(): SpanRecognizer[] {
  return [...IDS.map(recognizerFor), euVatId];
}

/** EU member states: a client held to GDPR has their identifiers looked for. */
export const EU_MEMBER_STATES = [
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
];

/**
 * The jurisdictions whose identifiers a client's detector looks for without a cue: its regions, every EU member state
 * when it is held to GDPR, and "EU" (for VAT ids) when any member state is among them.
 */
export function jurisdictions(regions: readonly string[], frameworks: readonly string[]): Set<string> {
  const countries = new Set(regions.map((r) => r.toUpperCase()));
  if (frameworks.includes('gdpr')) for (const c of EU_MEMBER_STATES) countries.add(c);
  if (EU_MEMBER_STATES.some((c) => countries.has(c))) countries.add('EU');
  return countries;
}
