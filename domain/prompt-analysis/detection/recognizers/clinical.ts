import { words } from '../scan.js';
import { spanRecognizer, type SpanRecognizer, type TextRecognizer } from './recognizer.js';

/** HIPAA Safe Harbor identifiers that only context makes identifying: dates about a person, great ages, ZIP codes, names. */

export const DATE_CONTEXT = words(
  'dob',
  'd\\.o\\.b',
  'date of birth',
  'birth',
  'birthday',
  'born',
  'admit',
  'admitted',
  'admission',
  'discharge',
  'discharged',
  'deceased',
  'died',
  'death',
  'dod',
  'dos',
  'date of service',
  'seen on',
  'visit',
  'surgery',
  'procedure',
  'appointment',
  'appt',
  'scheduled',
);
export const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
/** "March 14, " before a day number's year, or "14 March " before a year. */
const MONTH_BEFORE_DAY = new RegExp(`(?:^|[^a-z])(?:${MONTHS})\\.? $`);
const MONTH_DAY_BEFORE_YEAR = new RegExp(
  `(?:^|[^a-z])(?:(?:${MONTHS})\\.? \\d{1,2}(?:st|nd|rd|th)?,? |\\d{1,2}(?:st|nd|rd|th)? (?:${MONTHS})\\.?,? )$`,
);

function validDate(year: number, month: number, day: number): boolean {
  const days = [
    31,
    year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ];
  return month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1]!;
}

function fullYear(year: string): number {
  return year.length === 4 ? Number(year) : Number(year) + 1900;
}

/** Numeric dates (03/14/1950, 14.03.1950, 1950-03-14) and written ones (March 14, 1950; 14 March 1950). */
export const dateTime = spanRecognizer([4, 8], 'numeric', (span, scan) => {
  if (!span.numeric) return;
  const [a, b, c] = span.shape;
  const sep = span.separators[0];
  let start = span.start;
  let valid = false;
  if (span.shape.length === 3 && sep && '/-.'.includes(sep) && span.separators[1] === sep) {
    const [x, y, z] = [span.compact.slice(0, a), span.compact.slice(a!, a! + b!), span.compact.slice(a! + b!)];
    if (a === 4 && b === 2 && c === 2) valid = validDate(Number(x), Number(y), Number(z));
    else if (a! <= 2 && b! <= 2 && (c === 4 || c === 2)) {
      const year = fullYear(z);
      valid = validDate(year, Number(x), Number(y)) || validDate(year, Number(y), Number(x));
    }
  } else if (span.shape.length === 1 && a === 4) {
    // The year of a written date: look back for "March 14, " or "14 March ".
    const before = scan.before(span.start, 24);
    const written = MONTH_DAY_BEFORE_YEAR.exec(before);
    if (written) {
      start = span.start - before.length + written.index + (/^[^a-z0-9]/.test(written[0]) ? 1 : 0);
      valid = Number(span.compact) >= 1850 && Number(span.compact) <= 2200;
    }
  }
  if (!valid) return;
  scan.addScored(
    'DATE_TIME',
    start,
    span.end,
    { base: 0.3, context: 0.85 },
    start === span.start ? 'date.numeric' : 'date.written',
    DATE_CONTEXT,
  );
});

/** Written dates without a year ("admitted March 14") are found from the day. */
export const dayOfMonth = spanRecognizer([1, 2], 'numeric', (span, scan) => {
  if (
    !span.numeric ||
    span.shape.length !== 1 ||
    span.compact.length > 2 ||
    Number(span.compact) < 1 ||
    Number(span.compact) > 31
  )
    return;
  const before = scan.before(span.start, 12);
  const month = MONTH_BEFORE_DAY.exec(before);
  if (
    !month ||
    /^ ?,? ?\d{4}/.test(scan.after(span.end, 8)) ||
    !scan.hasContext(span.start - 12, span.end, DATE_CONTEXT)
  )
    return;
  const start = span.start - before.length + month.index + (/^[^a-z]/.test(month[0]) ? 1 : 0);
  scan.add('DATE_TIME', start, span.end, 0.7, 'date.written');
});

const AGE_AFTER = /^ ?-? ?(?:years?|yrs?|y\/o|yo|y\.o\.)(?![a-z])/;
const AGE_BEFORE = /(?:^|[^a-z])(?:age|aged|age:|aged:)\s*(?:of\s*|is\s*)?$/;

/** Safe Harbor: ages over 89 are identifying. */
export const greatAge = spanRecognizer([2, 3], 'numeric', (span, scan) => {
  if (!span.numeric || span.shape.length !== 1 || span.compact.length < 2 || span.compact.length > 3) return;
  const age = Number(span.compact);
  if (age < 90 || age > 125) return;
  if (AGE_AFTER.test(scan.after(span.end, 12)) || AGE_BEFORE.test(scan.before(span.start, 16)))
    scan.add('AGE', span.start, span.end, 0.85, 'age.over-89');
});

const STATES =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI';
const STATE_BEFORE = new RegExp(`(?:^|[^A-Za-z])(?:${STATES})\\.?,? +$`);
const ZIP_BEFORE = /(?:zip|zip code|zipcode|postal code)\s*[:#]?\s*$/;

/** ZIP codes in an address ("Springfield, IL 62704") or labelled as one. */
export const usZipCode = spanRecognizer([5, 9], 'numeric', (span, scan) => {
  if (
    !span.numeric ||
    (!(span.compact.length === 5 && span.shape.length === 1) &&
      !(span.shape.length === 2 && span.shape[0] === 5 && span.shape[1] === 4 && span.separators[0] === '-'))
  )
    return;
  if (ZIP_BEFORE.test(scan.before(span.start, 16))) scan.add('US_ZIP_CODE', span.start, span.end, 0.9, 'zip.label');
  else if (STATE_BEFORE.test(scan.text.slice(Math.max(0, span.start - 6), span.start)))
    scan.add('US_ZIP_CODE', span.start, span.end, 0.85, 'zip.address');
});

// Titles and clinical cues, then one to three capitalised words: "Mr. John Smith", "pt. Maria Garcia-Lopez".
const NAME_CUE =
  /\b(?:(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?|Miss|Sir|Madam|[Pp]atient(?: [Nn]ame)?[:,]?|[Pp]t\.|[Pp]t:|[Nn]ame:|PATIENT:?|NAME:|[Mm]y name is|[Tt]his is|I am|I'm)[ \t]+(?=\p{Lu})/gu;
// A capitalised word, with the inner capital, apostrophes and hyphens of names such as McDonald, O'Brien and
// Garcia-Lopez; a whole word, so that the "S" of "SSN" after a name is not taken for part of it. A possessive "'s"
// ("Smith's") is not part of the name: it stays in the text when the name is redacted.
const WORD = String.raw`\p{Lu}\p{Ll}{0,30}(?:\p{Lu}\p{Ll}{1,30})?(?:(?:-|['’](?!s(?![\p{L}\p{N}])))\p{Lu}?\p{Ll}{1,30}){0,3}(?![\p{L}\p{N}])`;
const NAME = new RegExp(String.raw`${WORD}(?:[ \t]+\p{Lu}\.)?(?:[ \t]+(?:[Vv]an |[Dd]e )?${WORD}){0,2}`, 'uy');
/** Capitalised words after a cue that are not names. */
const NOT_NAMES = new Set([
  'The',
  'This',
  'That',
  'It',
  'He',
  'She',
  'They',
  'His',
  'Her',
  'Is',
  'Was',
  'Has',
  'Had',
  'Not',
  'Reports',
  'Denies',
  'Presents',
  'States',
  'Portal',
  'Name',
  'Information',
  'Care',
  'Education',
  'Record',
  'History',
  'Id',
  'Number',
  'Important',
  'Urgent',
  'Please',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
  'Re',
  'Regarding',
]);

/** Brands and programs named like a doctor or a mister: Dr Pepper, Dr. Martens, Dr. Oetker, Mr. Rooter. */
const TITLED_BRANDS = new Set(['Pepper', 'Martens', 'Oetker', 'Google', 'Rooter', 'Clean', 'Coffee', 'Seuss']);

export const personName: TextRecognizer = (scan) => {
  const { text } = scan;
  NAME_CUE.lastIndex = 0;
  for (let cue = NAME_CUE.exec(text); cue; cue = NAME_CUE.exec(text)) {
    const start = NAME_CUE.lastIndex;
    NAME.lastIndex = start;
    const name = NAME.exec(text);
    if (!name || name[0].length < 2) continue;
    NAME_CUE.lastIndex = NAME.lastIndex;
    if (NOT_NAMES.has(name[0].split(/[ \t]/, 1)[0]!)) continue;
    const cueText = cue[0].trimEnd();
    // `- name: Install packages` and indented `name:` keys are YAML (CI steps, Ansible tasks), not a form's field.
    if (
      /^[Nn]ame:$/.test(cueText) &&
      /(?:^|\n)(?:[ \t]*-[ \t]*|[ \t]+)$/.test(text.slice(Math.max(0, cue.index - 80), cue.index))
    )
      continue;
    // Brands written as a title and a name.
    if (/^(?:Dr|Mr)\.?$/.test(cueText) && TITLED_BRANDS.has(name[0].split(/[ \t]/, 1)[0]!)) continue;
    const titled = /^(?:M[rsx]|Dr|Prof|Sir|Madam|Miss)/.test(cueText);
    const introduced = /^(?:[Mm]y|[Tt]his|I)/.test(cueText);
    const [score, rule] = titled
      ? [0.85, 'person.title']
      : introduced
        ? [0.6, 'person.introduction']
        : [0.7, 'person.clinical-cue'];
    scan.add('PERSON', start, start + name[0].trimEnd().length, score, rule);
  }
};

export function clinicalSpanRecognizers(): SpanRecognizer[] {
  return [dateTime, dayOfMonth, greatAge, usZipCode];
}
