import type { Scan } from '../scan.js';
import type { TextRecognizer } from './recognizer.js';

/**
 * US street addresses: a house number, a street name, a USPS street suffix, an optional unit, and an optional city
 * and state. The ZIP code after them stays US_ZIP_CODE's (its own rule, and Safe Harbor treats it apart).
 */

/**
 * USPS Publication 28, appendix C1: the primary street suffix names, each with its standard abbreviation, and the
 * common abbreviations the publication lists beside the busiest ones.
 */
const SUFFIXES = `ALLEY ALY ALLEE ALLY ANEX ANX ANNEX ARCADE ARC AVENUE AVE AV AVEN AVENU AVN AVNUE BAYOU BYU BEACH BCH
BEND BND BLUFF BLF BLUFFS BLFS BOTTOM BTM BOULEVARD BLVD BOUL BOULV BRANCH BR BRIDGE BRG BROOK BRK BROOKS BRKS BURG BG
BURGS BGS BYPASS BYP CAMP CP CANYON CYN CAPE CPE CAUSEWAY CSWY CENTER CTR CENTERS CTRS CIRCLE CIR CIRC CIRCL CRCL CRCLE
CIRCLES CIRS CLIFF CLF CLIFFS CLFS CLUB CLB COMMON CMN COMMONS CMNS CORNER COR CORNERS CORS COURSE CRSE COURT CT CRT
COURTS CTS COVE CV COVES CVS CREEK CRK CRESCENT CRES CREST CRST CROSSING XING CROSSROAD XRD CROSSROADS XRDS CURVE CURV
DALE DL DAM DM DIVIDE DV DRIVE DR DRIV DRV DRIVES DRS ESTATE EST ESTATES ESTS EXPRESSWAY EXPY EXTENSION EXT EXTENSIONS
EXTS FALL FALLS FLS FERRY FRY FIELD FLD FIELDS FLDS FLAT FLT FLATS FLTS FORD FRD FORDS FRDS FOREST FRST FORGE FRG FORGES
FRGS FORK FRK FORKS FRKS FORT FT FREEWAY FWY GARDEN GDN GARDENS GDNS GATEWAY GTWY GLEN GLN GLENS GLNS GREEN GRN GREENS
GRNS GROVE GRV GROVES GRVS HARBOR HBR HARBORS HBRS HAVEN HVN HEIGHTS HTS HIGHWAY HWY HIWAY HIWY HWAY HILL HL HILLS HLS
HOLLOW HOLW INLET INLT ISLAND IS ISLANDS ISS ISLE JUNCTION JCT JUNCTIONS JCTS KEY KY KEYS KYS KNOLL KNL KNOLLS KNLS
LAKE LK LAKES LKS LAND LANDING LNDG LANE LN LIGHT LGT LIGHTS LGTS LOAF LF LOCK LCK LOCKS LCKS LODGE LDG LOOP MALL MANOR
MNR MANORS MNRS MEADOW MDW MEADOWS MDWS MEWS MILL ML MILLS MLS MISSION MSN MOTORWAY MTWY MOUNT MT MOUNTAIN MTN MOUNTAINS
MTNS NECK NCK ORCHARD ORCH OVAL OVERPASS OPAS PARK PARKS PARKWAY PKWY PKY PARKWY PARKWAYS PASS PASSAGE PSGE PATH PIKE
PINE PNE PINES PNES PLACE PL PLAIN PLN PLAINS PLNS PLAZA PLZ POINT PT POINTS PTS PORT PRT PORTS PRTS PRAIRIE PR RADIAL
RADL RAMP RANCH RNCH RAPID RPD RAPIDS RPDS REST RST RIDGE RDG RIDGES RDGS RIVER RIV ROAD RD ROADS RDS ROUTE RTE ROW RUE
RUN SHOAL SHL SHOALS SHLS SHORE SHR SHORES SHRS SKYWAY SKWY SPRING SPG SPRINGS SPGS SPUR SPURS SQUARE SQ SQUARES SQS
STATION STA STRAVENUE STRA STREAM STRM STREET ST STR STRT STREETS STS SUMMIT SMT TERRACE TER TERR THROUGHWAY TRWY TRACE
TRCE TRACK TRAK TRAFFICWAY TRFY TRAIL TRL TRAILS TRLS TRAILER TRLR TUNNEL TUNL TURNPIKE TPKE UNDERPASS UPAS UNION UN
UNIONS UNS VALLEY VLY VALLEYS VLYS VIADUCT VIA VIEW VW VIEWS VWS VILLAGE VLG VILLAGES VLGS VILLE VL VISTA VIS WALK
WALKS WALL WAY WAYS WELL WL WELLS WLS`;
const SUFFIX = new Set(SUFFIXES.split(/\s+/));
/** The suffixes that say "street" without a doubt; the others ("Park", "Loop") need an address around them. */
const PLAIN_STREET = new Set(
  'STREET ST AVENUE AVE BOULEVARD BLVD ROAD RD DRIVE DR LANE LN COURT CT PLACE PL TERRACE TER CIRCLE CIR PARKWAY PKWY HIGHWAY HWY'.split(
    ' ',
  ),
);
/** Appendix C2: secondary unit designators. */
const UNIT =
  /^,?[ \t]*(?:(?:APARTMENT|APT|BASEMENT|BSMT|BUILDING|BLDG|DEPARTMENT|DEPT|FLOOR|FL|HANGAR|HNGR|LOT|OFFICE|OFC|PENTHOUSE|PH|PIER|ROOM|RM|SLIP|SPACE|SPC|SUITE|STE|TRAILER|TRLR|UNIT)\.?[ \t]*#?[ \t]*|#[ \t]?)[A-Z0-9]{1,5}(?:-[A-Z0-9]{1,4})?(?![A-Za-z0-9])/i;
const DIRECTIONAL = /^(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West|Northeast|Northwest|Southeast|Southwest)\.?$/;
const STATES =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI';
/** ", Springfield, IL" after the street: one to three capitalised words and a state. */
const CITY_STATE = new RegExp(
  String.raw`^,?[ \t]+(?:\p{Lu}[\p{L}.'-]{1,24}[ \t]){0,2}\p{Lu}[\p{L}.'-]{1,24},?[ \t]+(?:${STATES})(?![A-Za-z])`,
  'u',
);
const CONTEXT =
  /(?:^|[^a-z])(?:address|addr|lives at|living at|resides at|residing at|home|ship to|shipping|mail to|deliver to|delivery|billing|located at|moved to|street)\b[^a-z]{0,3}[a-z ]{0,12}$/;

/** A house number: "1420", "12B", "221-B", not part of a larger number, an amount or a version. */
const HOUSE_NUMBER = /(?<![\p{L}\p{N}$#.,:/-])\d{1,6}(?:-?[A-Z])?[ \t]+(?=[\p{Lu}\d])/gu;
/** A word of a street name: capitalised, or an ordinal ("38th"). */
const STREET_WORD = /^(?:\p{Lu}[\p{L}'’.-]{0,24}|\d{1,3}(?:st|nd|rd|th))$/u;

export const usStreetAddress: TextRecognizer = (scan: Scan) => {
  const { text } = scan;
  HOUSE_NUMBER.lastIndex = 0;
  for (let found = HOUSE_NUMBER.exec(text); found; found = HOUSE_NUMBER.exec(text)) {
    const start = found.index;
    // Up to six words after the number: an optional directional, the street name, the suffix, a directional.
    const words: Array<{ word: string; end: number }> = [];
    const word = /[^\s,;:()]+/y;
    word.lastIndex = HOUSE_NUMBER.lastIndex;
    while (words.length < 6) {
      const next = word.exec(text);
      if (!next || !STREET_WORD.test(next[0])) break;
      words.push({ word: next[0], end: word.lastIndex });
      if (!/^[ \t]/.test(text.slice(word.lastIndex, word.lastIndex + 1))) break;
      while (text[word.lastIndex] === ' ' || text[word.lastIndex] === '\t') word.lastIndex++;
    }
    // The last suffix with a street name before it: "77 Harbor View Dr", "44 Bay Street".
    let suffixAt = -1;
    const firstName = words.length > 0 && DIRECTIONAL.test(words[0]!.word) ? 1 : 0;
    for (let i = firstName + 1; i < words.length; i++)
      if (SUFFIX.has(words[i]!.word.replace(/\.$/, '').toUpperCase())) suffixAt = i;
    if (suffixAt < 0) continue;
    let end = words[suffixAt]!.end;
    if (text[end - 1] === '.') end--;
    const suffix = words[suffixAt]!.word.replace(/\.$/, '').toUpperCase();
    let evidence = PLAIN_STREET.has(suffix) ? 1 : 0;
    const post = words[suffixAt + 1];
    if (post && DIRECTIONAL.test(post.word) && /^(?:N|S|E|W|NE|NW|SE|SW)\.?$/.test(post.word)) {
      end = post.end - (text[post.end - 1] === '.' ? 1 : 0);
      evidence++;
    }
    const unit = UNIT.exec(text.slice(end, end + 24));
    if (unit) {
      end += unit[0].length;
      evidence++;
    }
    const city = CITY_STATE.exec(text.slice(end, end + 64));
    if (city) {
      end += city[0].length;
      evidence += 2;
    }
    if (CONTEXT.test(scan.before(start, 32))) evidence += 2;
    if (/^,?[ \t]*\d{5}(?:-\d{4})?(?!\d)/.test(text.slice(end, end + 12))) evidence++;
    // A plain street suffix alone is likely an address; "Park", "Loop", "Way" need more around them.
    const score = evidence >= 2 ? 0.85 : evidence === 1 ? 0.6 : 0.35;
    scan.add('US_STREET_ADDRESS', start, end, score, city ? 'address.us-city-state' : 'address.us-street');
    HOUSE_NUMBER.lastIndex = Math.max(HOUSE_NUMBER.lastIndex, end);
  }
};
