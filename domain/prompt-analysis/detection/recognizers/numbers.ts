import type { Span } from '../cluster.js';
import {
  cardNetwork,
  isPlaceholder,
  luhn,
  validAbaRouting,
  validItin,
  validNhs,
  validNpi,
  validSsn,
} from '../checksums.js';
import { words } from '../scan.js';
import { shapeIs, spanRecognizer, uniform, type SpanRecognizer } from './recognizer.js';

/** National and financial numbers made of digits only, each validated beyond its pattern. */

const CARD_CONTEXT = words(
  'card',
  'credit',
  'debit',
  'visa',
  'mastercard',
  'amex',
  'american express',
  'discover',
  'cc',
  'cvv',
  'pan',
);
const SSN_CONTEXT = words('ssn', 'ssns', 'social security', 'social sec', 'ss#', 'soc sec');
const ITIN_CONTEXT = words('itin', 'taxpayer', 'tax id', 'tin');
const ABA_CONTEXT = words('routing', 'aba', 'rtn', 'transit');
const NPI_CONTEXT = words('npi', 'provider', 'prescriber', 'national provider');
const NHS_CONTEXT = words('nhs', 'nhs number', 'health service');
const IMEI_CONTEXT = words('imei', 'handset', 'device');
const ACCOUNT_CONTEXT = words('account', 'acct', 'a/c', 'checking', 'savings', 'bank');
const PASSPORT_CONTEXT = words('passport');

export const creditCard = spanRecognizer([12, 19], 'numeric', (span, scan) => {
  const { compact } = span;
  if (!span.numeric || compact.length < 12 || compact.length > 19 || !uniform(span, ' -')) return;
  if (span.shape.length > 1 && span.shape.length < 3) return;
  if (!cardNetwork(compact) || !luhn(compact) || isPlaceholder(compact)) return;
  scan.addScored(
    'CREDIT_CARD',
    span.start,
    span.end,
    { base: span.shape.length > 1 ? 0.9 : 0.8, context: 1 },
    'credit-card.luhn',
    CARD_CONTEXT,
  );
});

/** SSNs and ITINs are written 3-2-4 with one separator, or as nine digits (then only context makes them likely). */
function nineDigitId(span: Span): 'formatted' | 'plain' | null {
  if (!span.numeric || span.compact.length !== 9) return null;
  if (span.shape.length === 1) return 'plain';
  return shapeIs(span, [3, 2, 4]) && uniform(span, '- .') ? 'formatted' : null;
}

export const usSsn = spanRecognizer([9, 9], 'numeric', (span, scan) => {
  const form = nineDigitId(span);
  if (!form || !validSsn(span.compact)) return;
  const scores = form === 'formatted' ? { base: 0.6, context: 0.95 } : { base: 0.3, context: 0.8 };
  scan.addScored('US_SSN', span.start, span.end, scores, `us-ssn.${form}`, SSN_CONTEXT);
});

export const usItin = spanRecognizer([9, 9], 'numeric', (span, scan) => {
  const form = nineDigitId(span);
  if (!form || !validItin(span.compact)) return;
  const scores = form === 'formatted' ? { base: 0.6, context: 0.95 } : { base: 0.3, context: 0.8 };
  scan.addScored('US_ITIN', span.start, span.end, scores, `us-itin.${form}`, ITIN_CONTEXT);
});

/** Routing numbers plain, or in the 4-4-1 of a check's MICR line as people copy it ("0711-0130-7"). */
export const abaRouting = spanRecognizer([9, 9], 'numeric', (span, scan) => {
  if (!span.numeric || span.compact.length !== 9 || !validAbaRouting(span.compact)) return;
  const grouped = shapeIs(span, [4, 4, 1]) && uniform(span, '- ');
  if (span.shape.length !== 1 && !grouped) return;
  scan.addScored(
    'ABA_ROUTING_NUMBER',
    span.start,
    span.end,
    grouped ? { base: 0.5, context: 0.95 } : { base: 0.3, context: 0.9 },
    grouped ? 'aba-routing.grouped' : 'aba-routing.checksum',
    ABA_CONTEXT,
  );
});

/** NPIs plain, or grouped as people write them ("1245 319 599", "124-531-9599"): grouped ones only with context. */
export const usNpi = spanRecognizer([10, 10], 'numeric', (span, scan) => {
  if (!span.numeric || !validNpi(span.compact)) return;
  if (span.shape.length === 1) {
    scan.addScored('US_NPI', span.start, span.end, { base: 0.3, context: 0.9 }, 'us-npi.luhn', NPI_CONTEXT);
    return;
  }
  // Grouped like a phone number: the provider's label decides, and then outranks the phone reading.
  if (span.shape.length <= 4 && uniform(span, ' -.') && scan.hasContext(span.start, span.end, NPI_CONTEXT))
    scan.add('US_NPI', span.start, span.end, 0.95, 'us-npi.luhn-grouped');
});

export const ukNhs = spanRecognizer([10, 10], 'numeric', (span, scan) => {
  if (!span.numeric || span.compact.length !== 10 || !validNhs(span.compact)) return;
  const formatted = shapeIs(span, [3, 3, 4]) && uniform(span, ' -');
  if (!formatted && span.shape.length !== 1) return;
  scan.addScored(
    'UK_NHS',
    span.start,
    span.end,
    formatted ? { base: 0.4, context: 0.95 } : { base: 0.2, context: 0.9 },
    'uk-nhs.mod11',
    NHS_CONTEXT,
  );
});

export const imei = spanRecognizer([15, 15], 'numeric', (span, scan) => {
  if (
    !span.numeric ||
    span.compact.length !== 15 ||
    !(span.shape.length === 1 || shapeIs(span, [2, 6, 6, 1])) ||
    !luhn(span.compact)
  )
    return;
  if (isPlaceholder(span.compact)) return;
  scan.addScored('IMEI', span.start, span.end, { base: 0.3, context: 0.95 }, 'imei.luhn', IMEI_CONTEXT);
});

/** Account numbers have no checksum: only the word "account" nearby makes eight to seventeen digits one. */
export const usBankNumber = spanRecognizer([8, 17], 'numeric', (span, scan) => {
  if (!span.numeric || span.shape.length !== 1 || span.compact.length < 8 || span.compact.length > 17) return;
  if (isPlaceholder(span.compact) || !scan.hasContext(span.start, span.end, ACCOUNT_CONTEXT)) return;
  scan.add('US_BANK_NUMBER', span.start, span.end, 0.75, 'us-bank-number.context');
});

/** US passport books: nine digits; cards: a letter and eight digits. Only with the word "passport" nearby. */
export const usPassport = spanRecognizer([9, 9], 'any', (span, scan) => {
  if (span.shape.length !== 1 || !/^(?:\d{9}|[A-Z]\d{8})$/.test(span.compact)) return;
  if (!scan.hasContext(span.start, span.end, PASSPORT_CONTEXT)) return;
  scan.add('US_PASSPORT', span.start, span.end, 0.85, 'us-passport.context');
});

export function numberRecognizers(): SpanRecognizer[] {
  return [creditCard, usSsn, usItin, abaRouting, usNpi, ukNhs, imei, usBankNumber, usPassport];
}
