import { validDea, validIban, validMbi, validVin } from '../checksums.js';
import { words } from '../scan.js';
import { shapeIs, spanRecognizer, uniform, type SpanRecognizer } from './recognizer.js';

/** Identifiers of letters and digits with a check digit or a fixed structure. */

const DEA_CONTEXT = words('dea', 'dea#', 'prescriber', 'registration');
const MBI_CONTEXT = words('mbi', 'medicare', 'beneficiary');
const VIN_CONTEXT = words('vin', 'vehicle', 'chassis', 'car');

/** A last group of one to three letters written apart ("… CDEF G", "… 1497 USD"): not in the digits' cluster. */
const LETTERS_AFTER = /^ ([A-Z0-9]{1,3})(?![A-Za-z0-9])/;

export const ibanCode = spanRecognizer([11, 34], 'alnum', (span, scan) => {
  const { compact } = span;
  const [a, b] = [compact.charCodeAt(0), compact.charCodeAt(1)];
  if (a < 65 || a > 90 || b < 65 || b > 90) return;
  if (compact.length < 11 || !/^[A-Z]{2}\d{2}/.test(compact) || !uniform(span, ' -')) return;
  if (span.shape.length > 1 && span.shape.slice(0, -1).some((n) => n !== 4)) return;
  if (compact.length >= 15 && validIban(compact)) {
    scan.add('IBAN_CODE', span.start, span.end, 0.95, 'iban.mod97');
    return;
  }
  const tail =
    span.shape.length > 1 && span.shape.at(-1) === 4 && LETTERS_AFTER.exec(scan.text.slice(span.end, span.end + 5));
  if (tail && validIban(compact + tail[1]!))
    scan.add('IBAN_CODE', span.start, span.end + tail[0].length, 0.95, 'iban.mod97');
});

export const deaNumber = spanRecognizer([9, 9], 'alnum', (span, scan) => {
  if (span.shape.length !== 1 || span.compact.length !== 9 || !validDea(span.compact)) return;
  scan.addScored('MEDICAL_LICENSE', span.start, span.end, { base: 0.6, context: 0.95 }, 'dea.checksum', DEA_CONTEXT);
});

export const usMbi = spanRecognizer([11, 11], 'alnum', (span, scan) => {
  if (span.compact.length !== 11 || !(span.shape.length === 1 || (shapeIs(span, [4, 3, 4]) && uniform(span, '-'))))
    return;
  if (validMbi(span.compact))
    scan.addScored('US_MBI', span.start, span.end, { base: 0.6, context: 0.95 }, 'us-mbi.format', MBI_CONTEXT);
});

export const vin = spanRecognizer([17, 17], 'alnum', (span, scan) => {
  if (span.shape.length !== 1 || span.compact.length !== 17 || !validVin(span.compact)) return;
  scan.addScored('VIN', span.start, span.end, { base: 0.6, context: 0.95 }, 'vin.check-digit', VIN_CONTEXT);
});

/**
 * Identifiers with no public structure, recognised by the label written before them ("MRN: 00123456",
 * "Member ID W123456789"): HIPAA's medical record, health plan, device and licence numbers.
 */
const LABELLED: Array<{ entity: string; rule: string; label: RegExp }> = [
  {
    entity: 'MEDICAL_RECORD_NUMBER',
    rule: 'medical-record.label',
    label:
      /(?:\bmrn|\bmr#|medical record(?: number| no\.?| #)?|\bchart(?: number| no\.?| #)|\bpatient id|\bhospital (?:number|no\.?|#))$/,
  },
  {
    entity: 'HEALTH_PLAN_ID',
    rule: 'health-plan.label',
    label:
      /(?:member|subscriber|beneficiary|insurance|policy|health plan|medicaid|group)(?: id| number| no\.?| #| identifier)$/,
  },
  {
    entity: 'DEVICE_ID',
    rule: 'device.label',
    label: /(?:serial(?: number| no\.?| #)?|\bs\/n|\bsn|device(?: id| serial| identifier)|udi|implant(?: id| serial))$/,
  },
  {
    entity: 'US_DRIVER_LICENSE',
    rule: 'driver-license.label',
    label: /(?:driver'?s? licen[cs]e(?: number| no\.?| #)?|\bdl(?: number| no\.?| #)?|\bdln)$/,
  },
];

const isPunctuation = (c: string): boolean => ' \t\n#:.=-'.includes(c);

/** "mrn #: " → "mrn": drops the punctuation (and a final "is") between a label and its value. */
function labelBefore(before: string): string {
  let end = before.length;
  while (end > 0 && isPunctuation(before[end - 1]!)) end--;
  if (before.slice(end - 3, end) === ' is') {
    end -= 3;
    while (end > 0 && isPunctuation(before[end - 1]!)) end--;
  }
  return before.slice(0, end);
}

/** The last words labels end with: a quick test before the label patterns run. */
const LABEL_ENDINGS = /(?:mrn|mr#|record|number|no|no\.|#|id|identifier|serial|s\/n|sn|udi|licen[cs]e|dl|dln|chart)$/;

export const labelledIdentifier = spanRecognizer([4, 20], 'any', (span, scan) => {
  const { compact } = span;
  if (compact.length < 4 || compact.length > 20 || span.shape.length > 3 || !uniform(span, '-') || !/\d/.test(compact))
    return;
  const label = labelBefore(scan.before(span.start, 40));
  if (!LABEL_ENDINGS.test(label)) return;
  for (const { entity, rule, label: pattern } of LABELLED) {
    if (pattern.test(label)) scan.add(entity, span.start, span.end, 0.85, rule);
  }
});

export function identifierRecognizers(): SpanRecognizer[] {
  return [ibanCode, deaNumber, usMbi, vin, labelledIdentifier];
}
