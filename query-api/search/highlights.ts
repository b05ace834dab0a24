/**
 * What ts_headline marks matches with: control characters, which the index never holds (projections/read-models/
 * search.ts, `indexable`), so that the answer is plain text and the ranges between them, and no markup that a console
 * would have to escape.
 */
export const START_MARK = '\u0002';
export const STOP_MARK = '\u0003';

/** ts_headline's options for a snippet: up to two fragments of about 15 to 35 words around the best matches. */
export const SNIPPET_OPTIONS = `StartSel=${START_MARK}, StopSel=${STOP_MARK}, MaxWords=35, MinWords=15, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
/** …and for a title: the whole of it, every match marked. */
export const TITLE_OPTIONS = `StartSel=${START_MARK}, StopSel=${STOP_MARK}, HighlightAll=true`;

export interface Highlighted {
  text: string;
  /** [start, end) in UTF-16 code units of `text`, as JavaScript strings index them. */
  highlights: Array<{ start: number; end: number }>;
}

/** The text of a ts_headline answer without its marks, and where the marks were. */
export function highlighted(marked: string): Highlighted {
  let text = '';
  const highlights: Highlighted['highlights'] = [];
  let start: number | undefined;
  for (const char of marked) {
    if (char === START_MARK) start = text.length;
    else if (char === STOP_MARK) {
      if (start !== undefined && text.length > start) highlights.push({ start, end: text.length });
      start = undefined;
    } else text += char;
  }
  return { text, highlights };
}
