import type { Scan } from '../scan.js';
import { AMBIGUOUS_NAMES, FAMILY_NAMES, GIVEN_NAMES } from './name-lexicon.data.js';
import type { TextRecognizer } from './recognizer.js';

/**
 * People's names in running text, without a cue word: capitalised words looked up in given-name and family-name
 * lexicons of many locales (scripts/build-name-lexicon.ts), weighed by position and context ("cc:", "Dear", "called",
 * "Lastname, Firstname"). No NLP: one regular expression for capitalised words and a Set lookup for each.
 */

const GIVEN = new Set(GIVEN_NAMES.split(' '));
const FAMILY = new Set(FAMILY_NAMES.split(' '));
/** Names that are also English words or places: a person only beside another name or after a salutation. */
const AMBIGUOUS = new Set([
  ...AMBIGUOUS_NAMES.split(' '),
  ...'Will Mark Bill Grace Rose Hope Faith Joy Art Job Bay Stone Lane Park Hall Hill Wood Green Price King Long Young Little Post Care Chase Frank Major General Blue North South East West Page Case Ray Pat Sue Dean Rich Gay Sage Star Jewel Amber Ruby Iris Lily Daisy Violet Ivy Holly Jade Dawn Autumn Winter Spring Sky Storm River Ocean Brooks Banks Mills Fields Woods Rivers Walker Cook Baker Carter Cooper Hunter Fisher Miller Turner Mason Porter Sawyer Taylor Bishop Knight Pope Sharp Street Church Field Ford Bush Cash Gold Silver Jordan Israel Paris Sydney Victoria Florence Georgia Virginia Carolina Austin Dallas Houston Denver Phoenix Charlotte Madison Lincoln Jackson Cleveland Stanford Hudson Brooklyn Dakota Montana Kent Devon Chad Cameron Tyler Trinity Beverly Orlando Diego Francisco Regina Lourdes Kaiser Abbott Johnson Morgan Stanley Dell Emory Chester Winston Camden Salem Eugene Troy'.split(
    ' ',
  ),
]);
/** Capitalised words that are never part of a person's name: they end or split a run of capitalised words. */
const NEVER = new Set(
  (
    'The This That These Those There Then Than Thanks Thank It Its He She They We You Your Our My His Her Their Is Was ' +
    'Are Has Had Have Not No Yes To From For With By And Or But If So As At In On Of An Am Can Could Would Should ' +
    'Will Do Does Did Please Hi Hello Hey Dear Regards Best Cheers Sincerely Re Fw Fwd Cc Bcc Subject Attn Note ' +
    'Notes Patient Pt Name Mr Mrs Ms Mx Dr Prof Sir Madam Miss Doctor Nurse Son Daughter Mother Father Wife Husband ' +
    'Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August ' +
    'September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu ' +
    'Thur Thurs Fri Sat Sun Today Tomorrow ' +
    'Yesterday San Santa Santo St Saint Los Las El La Le Fort Mount Mt New Port Lake Hold Also When Where Who What ' +
    'Why How After Before During Since Until Per Via Each Every All Any Some Hole Summary Team Customer Client ' +
    'User Admin Support Sales Billing Finance Compliance Legal Engineering Marketing Operations Pharmacy Lab ' +
    'Results Christmas Easter Thanksgiving Halloween God Lord Jesus Allah'
  ).split(' '),
);
/** A run with one of these is an organisation, product, place or law, not a person: "Whole Foods", "Mayo Clinic". */
const NOT_PERSON = new Set(
  (
    'Inc Corp Corporation Llc Ltd Co Company Group Bank Health Healthcare Medical Medicine Clinic Clinics Hospital ' +
    'Center Centre Institute University College School Academy Foundation Foods Market Markets Pharmacy Pharma Labs ' +
    'Laboratories Systems Services Service Solutions Technologies Technology Tech Software Cloud Watch Phone Pay ' +
    'Store Stores Insights Studio Studios Office Department Dept Building Tower Towers Street Avenue Ave Road Rd ' +
    'Boulevard Blvd Drive Highway Hwy Parkway Plaza Square Act Law Rule Amendment Code Disease Syndrome Award Prize ' +
    'Fund Trust Partners Associates Airlines Airways Motors Energy Insurance Financial Capital Holdings Network ' +
    'Networks Media News Times Journal Church Cathedral Museum Library County City State States Island Islands ' +
    'River Mountain Mountains Valley Beach Airport Station Mall Hotel Resort Suite Cafe Restaurant Pro Max Plus ' +
    'Mini Air Edition Series Version Project Program Management Portal App Apps Platform Engine Server Console ' +
    'Kingdom Republic Union Council Committee Agency Bureau Ministry Court Senate Congress Party Club League ' +
    'Stadium Arena Gallery Theater Theatre Park Gardens Bridge Tunnel Memorial Monument Hall Care'
  ).split(' '),
);
/** Words after a capitalised name that make it an eponym, not a person: "Parkinson disease", "Bell palsy". */
const EPONYM_AFTER =
  /^(?:['’]s?)? ?(?:disease|syndrome|palsy|lymphoma|sarcoma|disorder|sign|test|reflex|phenomenon|procedure|operation|tumou?r|ulcer|anomaly|law|principle|effect|equation|theorem|scale|score|criteria|classification|maneuver|manoeuvre|fracture|cell|cells|node|nodes|ratio)(?![a-z])/;
/** An unknown word shaped like English, not like a name: "Server-Sent Events", "Lua Scripting", "Valid Message". */
const ENGLISH_SHAPE =
  /(?:ing|tion|sion|ment|ness|ity|ics|ance|ence|able|ible|ful|less|ous|ive|age|ure|ware|[^aeiosu']s)$/;
/** A Markdown heading: "## Lua Scripting". */
const HEADING_BEFORE = /(?:^|\n)[ \t]*#{1,6}[ \t]+(?:[^\n]*[ \t])?$/;
/** An article or determiner just before: "the Ford Building", "our Dublin office". */
const DETERMINER_BEFORE = /(?:^|[^a-z])(?:the|a|an|our|your|their|this|that|these|those|its)[ \t]+$/;

/** Cues before a name that say a person follows: salutations, address lines, verbs of contact, relations. */
const PERSON_BEFORE = new RegExp(
  String.raw`(?:^|[^a-z])(?:hi|hello|hey|dear|thanks|thank you|cc|bcc|to:|from:|attn|attendees|participants|regards|best|cheers|sincerely|spoke (?:with|to)|speak (?:with|to)|talked (?:with|to)|talk to|met with|meeting with|call with|called|call|ask|asked|tell|told|thank|thanks to|email|emailed|text|texted|message|remind|notify|forward(?: [a-z]+){0,4} to|send(?: [a-z]+){0,4} to|sent(?: [a-z]+){0,4} to|assigned to|approved by|referred by|escalated by|signed by|submitted by|reported by|reviewed with|seen by|voicemail for|reply to|wife|husband|mother|father|son|daughter|sister|brother|aunt|uncle|grandmother|grandfather|caregiver|guardian|partner|friend|colleague|manager|hire|employee|contact|client|patient|resident|member)[ \t]*[,:(]?[ \t\n]*$`,
);
/** Cues after a name: verbs of speech and care, an age. */
const PERSON_AFTER =
  /^(?:['’]s)?[ \t]*(?:called|calls|said|says|emailed|wrote|writes|texted|asked|asks|reported|reports|complains|complained|denies|denied|presents|presented|was seen|is seen|missed|needs|wants|came|comes|agreed|agrees|confirmed|states|stated|left a|mentioned|replied|responded|noted|thinks|feels|requested|requests|is a \d|was admitted|was discharged|, (?:\d{1,3}|age|aged)\b|\(\d{1,3}\b|, who\b|, dob\b|(?:['’]s) (?:refill|appointment|prescription|medication|results|labs|visit|surgery|mri|chart|account|claim|physical|therapy|insurance|husband|wife|son|daughter|mother|father))/i;
/** The few cues that make even one ambiguous word a name: "Hi Grace", "Dear Will". */
const SALUTATION_BEFORE = /(?:^|[^a-z])(?:hi|hello|hey|dear|thanks|thank you|cc|bcc)[ \t]*[,:]?[ \t]*$/;

// A capitalised word with the inner capital, apostrophes and hyphens of names (McDonald, O'Brien, Al-Sayed), not a
// possessive "'s"; a whole word.
const WORD =
  /(?<![\p{L}\p{N}_'’-])(?:\p{Lu}['’])?\p{Lu}\p{Ll}+(?:\p{Lu}\p{Ll}+)?(?:-\p{Lu}?\p{Ll}+|['’](?!s(?![\p{L}\p{N}]))\p{Ll}+)*(?![\p{L}\p{N}_])/gu;
/** What may join the words of one name: spaces, a middle initial, a particle. */
const JOINER =
  /^[ \t]{1,2}(?:\p{Lu}\.[ \t]{1,2})?(?:(?:van|von|der|den|de|del|della|da|di|du|dos|das|le|bin|ibn|al|ben)[ \t]{1,2})?$/u;

const enum Kind {
  Never,
  Name,
  Ambiguous,
  Unknown,
}

interface Token {
  start: number;
  end: number;
  word: string;
  kind: Kind;
  given: boolean;
  family: boolean;
}

function token(start: number, word: string): Token {
  let given = GIVEN.has(word);
  let family = FAMILY.has(word);
  if (!given && !family && word.includes('-')) {
    // "Garcia-Lopez", "Jean-Pierre": a name when each of its parts is ("Server-Sent" is not).
    const parts = word.split('-');
    given = parts.every((part) => GIVEN.has(part) || FAMILY.has(part)) && parts.some((part) => GIVEN.has(part));
    family = parts.every((part) => GIVEN.has(part) || FAMILY.has(part)) && parts.some((part) => FAMILY.has(part));
  }
  const kind = NEVER.has(word)
    ? Kind.Never
    : given || family
      ? AMBIGUOUS.has(word)
        ? Kind.Ambiguous
        : Kind.Name
      : Kind.Unknown;
  return { start, end: start + word.length, word, kind, given, family };
}

/** The start of a sentence, a line or a quotation: where every word is capitalised. */
function sentenceInitial(text: string, start: number): boolean {
  for (let i = start - 1; i >= 0; i--) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '"' || c === '“' || c === '(' || c === '*' || c === '-' || c === '•') continue;
    return c === '.' || c === '!' || c === '?' || c === '\n' || c === ':' || c === ';' || c === '>';
  }
  return true;
}

const score = (base: number, context: boolean) => Math.min(0.9, context ? base + 0.2 : base);

/** Scores a run of one to three capitalised words; 0 when it is not a person. */
function judge(run: Token[], before: string, after: string): [number, string] {
  if (run.some((t) => NOT_PERSON.has(t.word))) return [0, ''];
  if (EPONYM_AFTER.test(after) || DETERMINER_BEFORE.test(before) || HEADING_BEFORE.test(before)) return [0, ''];
  const context = PERSON_BEFORE.test(before) || PERSON_AFTER.test(after);
  const names = run.filter((t) => t.kind === Kind.Name).length;
  const known = run.filter((t) => t.kind === Kind.Name || t.kind === Kind.Ambiguous).length;
  const first = run[0]!;
  const last = run[run.length - 1]!;
  if (run.length === 1) {
    if (first.kind === Kind.Name) return context ? [0.65, 'person.name-in-context'] : [0, ''];
    if (first.kind === Kind.Ambiguous && first.given && SALUTATION_BEFORE.test(before))
      return [0.6, 'person.name-in-context'];
    return [0, ''];
  }
  if (known === run.length && names >= 1) return [score(0.7, context), 'person.lexicon'];
  if (known === run.length && first.given && last.family) return [score(0.5, context), 'person.lexicon'];
  // A known name beside one unknown word that could be a name: "Adaeze Okonkwo", "Ngozi Eze".
  const unknown = run.filter((t) => t.kind === Kind.Unknown);
  if (
    names >= 1 &&
    unknown.length === 1 &&
    !ENGLISH_SHAPE.test(unknown[0]!.word) &&
    ((first.kind === Kind.Name && first.given) || (last.kind === Kind.Name && last.family))
  )
    return [score(0.55, context), 'person.lexicon'];
  if (context && known >= 1) return [0.6, 'person.name-in-context'];
  if (context && SALUTATION_BEFORE.test(before)) return [0.6, 'person.name-in-context'];
  return [0, ''];
}

/** "Nguyen, Linh": a family name, a comma, a given name, and no further capitalised word. */
function lastFirst(family: Token, given: Token, before: string, after: string): number {
  if (!family.family || family.kind !== Kind.Name || !given.given || given.kind === Kind.Never) return 0;
  if (EPONYM_AFTER.test(after) || DETERMINER_BEFORE.test(before)) return 0;
  return score(0.65, PERSON_BEFORE.test(before) || /^[ \t]*[:;)\n]/.test(after) || PERSON_AFTER.test(after));
}

export const personNameInText: TextRecognizer = (scan: Scan) => {
  const { text } = scan;
  const tokens: Token[] = [];
  WORD.lastIndex = 0;
  for (let found = WORD.exec(text); found; found = WORD.exec(text)) tokens.push(token(found.index, found[0]));
  const joined = (a: Token, b: Token) => JOINER.test(text.slice(a.end, b.start));
  let i = 0;
  while (i < tokens.length) {
    // The run of capitalised words from i, split where a word is never part of a name.
    if (tokens[i]!.kind === Kind.Never) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < tokens.length && tokens[j]!.kind !== Kind.Never && joined(tokens[j - 1]!, tokens[j]!)) j++;
    let run = tokens.slice(i, j);
    const next = j;
    // The first word of a sentence is capitalised anyway: part of a name only when it is one.
    if (run[0]!.kind !== Kind.Name && sentenceInitial(text, run[0]!.start)) run = run.slice(1);
    // A title-case heading or a product line, not a name.
    if (run.length > 3 || run.length === 0) {
      i = next;
      continue;
    }
    // One word that is no name is no person, whatever its context: most capitalised words end here, unread.
    if (run.length === 1 && run[0]!.kind === Kind.Unknown) {
      i = next;
      continue;
    }
    const start = run[0]!.start;
    const end = run[run.length - 1]!.end;
    const before = scan.before(start, 40);
    const after = scan.after(end, 32);
    const following = tokens[next];
    if (
      run.length === 1 &&
      following &&
      text.slice(end, following.start) === ', ' &&
      !(tokens[next + 1] && joined(following, tokens[next + 1]!))
    ) {
      const last = lastFirst(run[0]!, following, before, scan.after(following.end, 32));
      if (last > 0) {
        scan.add('PERSON', start, following.end, last, 'person.last-first');
        i = next + 1;
        continue;
      }
    }
    const [value, rule] = judge(run, before, after);
    if (value > 0) scan.add('PERSON', start, end, value, rule);
    i = next;
  }
};
