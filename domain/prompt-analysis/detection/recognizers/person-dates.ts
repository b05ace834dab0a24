import { DATE_CONTEXT, MONTHS } from './clinical.js';
import { spanRecognizer } from './recognizer.js';

/**
 * Dates written day first with a month's name, as clinical notes and forms do: "5-May-2021", "21-May", "3 Jan 2024"
 * (the year of "14 March 1950" is found from the year by the written-date rule). About a person only near a date word
 * ("DOB", "born", "admitted"): with a year they are kept low without one, and without a year found only with one.
 */
const MONTH_AFTER_DAY = new RegExp(
  String.raw`^(?:st|nd|rd|th)?([- ]|\. ?)(?:${MONTHS})\.?(?:\1(\d{4}|\d{2}))?(?![a-z0-9])`,
  'i',
);

export const dayMonthYear = spanRecognizer([1, 2], 'numeric', (span, scan) => {
  if (!span.numeric || span.shape.length !== 1) return;
  // Most short numbers are not followed by a month: look at the next two characters before anything else.
  let at = span.end;
  const next = scan.text.charCodeAt(at);
  if (next === 45 || next === 32 || next === 46) at++;
  if (next === 46 && scan.text.charCodeAt(at) === 32) at++;
  const letter = scan.text.charCodeAt(at) | 32;
  if (letter < 97 || letter > 122) return;
  const day = Number(span.compact);
  if (day < 1 || day > 31) return;
  const written = MONTH_AFTER_DAY.exec(scan.after(span.end, 16));
  if (!written) return;
  const end = span.end + written[0].length;
  if (written[2]) {
    // "14 March 1950" is the written-date rule's, found from its year.
    if (written[1] === ' ' && written[2].length === 4) return;
    scan.addScored('DATE_TIME', span.start, end, { base: 0.3, context: 0.85 }, 'date.day-month-year', DATE_CONTEXT);
  } else if (scan.hasContext(span.start, end, DATE_CONTEXT)) {
    scan.add('DATE_TIME', span.start, end, 0.7, 'date.day-month');
  }
});
