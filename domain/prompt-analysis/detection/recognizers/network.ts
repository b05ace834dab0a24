import ipaddr from 'ipaddr.js';
import { findNumbers, type CountryCode } from 'libphonenumber-js/max';
import { parse as parseDomain } from 'tldts';
import type { Cluster } from '../cluster.js';
import { isAlnum, isDigit, words, type Scan } from '../scan.js';
import {
  spanRecognizer,
  uniform,
  type ClusterRecognizer,
  type SpanRecognizer,
  type TextRecognizer,
} from './recognizer.js';

/** Contact details and network identifiers: phone and fax numbers, e-mail addresses, URLs, IP and MAC addresses. */

const PHONE_CONTEXT = words(
  'phone',
  'tel',
  'telephone',
  'call',
  'mobile',
  'cell',
  'contact',
  'reach',
  'text',
  'whatsapp',
  'ph',
  'fax',
);
const FAX_LABEL = /fax(?: number| no\.?| #)?\s*[:#]?\s*\+?\(?$/;
const IP_CONTEXT = words('ip', 'ip address', 'host', 'server', 'address', 'client', 'source', 'src', 'dst', 'gateway');

/**
 * Phone numbers through libphonenumber-js: valid for their region's numbering plan, with or without a country code.
 * A number labelled "fax" is a fax number (Safe Harbor lists them apart) even where the plan cannot validate it.
 */
/**
 * Groups of at most four digits (eight in national forms elsewhere: "030 12345678", "98765 43210"), at most 15 in all
 * (E.164), and not an SSN's 3-2-4.
 */
function phoneShaped(cluster: Cluster, longestGroup: number): boolean {
  const lengths = cluster.groups.map((g) => g.end - g.start);
  if (lengths.some((n) => n > longestGroup) || lengths.reduce((a, b) => a + b, 0) > 15) return false;
  return !(lengths.length === 3 && lengths[0] === 3 && lengths[1] === 2 && lengths[2] === 4);
}

/** Regions of the North American numbering plan, whose numbers are written in groups of three and four. */
const NANP = new Set(['US', 'CA', 'PR', 'GU', 'VI', 'AS', 'MP', 'BS', 'BB', 'JM', 'TT', 'DO', 'BM', 'KY']);

/** Countries named in a text (their name, adjective or capital), for numbers written in their national form. */
const COUNTRY_WORDS: Record<string, string> = {
  IL: 'Israel|Israeli|Tel Aviv|Jerusalem|Haifa',
  JP: 'Japan|Japanese|Tokyo|Osaka|Kyoto',
  CN: 'China|Chinese|PRC|Beijing|Shanghai|Shenzhen|Guangzhou',
  IN: 'India|Indian|Mumbai|Delhi|New Delhi|Bengaluru|Bangalore|Chennai|Hyderabad',
  GB: 'UK|United Kingdom|Britain|British|England|Scotland|Wales|London|Manchester',
  DE: 'Germany|German|Deutschland|Berlin|Munich|München|Hamburg|Frankfurt',
  FR: 'France|French|Paris|Lyon|Marseille',
  ES: 'Spain|Spanish|España|Madrid|Barcelona',
  IT: 'Italy|Italian|Italia|Rome|Roma|Milan|Milano',
  NL: 'Netherlands|Dutch|Holland|Amsterdam|Rotterdam',
  BE: 'Belgium|Belgian|Brussels',
  AT: 'Austria|Austrian|Vienna|Wien',
  PL: 'Poland|Polska|Warsaw|Kraków|Krakow',
  SE: 'Sweden|Swedish|Stockholm',
  FI: 'Finland|Finnish|Helsinki',
  DK: 'Denmark|Danish|Copenhagen',
  IE: 'Ireland|Irish|Dublin',
  PT: 'Portugal|Portuguese|Lisbon',
  GR: 'Greece|Greek|Athens',
  CZ: 'Czechia|Czech|Prague',
  HU: 'Hungary|Hungarian|Budapest',
  RO: 'Romania|Romanian|Bucharest',
  BG: 'Bulgaria|Bulgarian|Sofia',
  HR: 'Croatia|Croatian|Zagreb',
  SK: 'Slovakia|Slovak|Bratislava',
  SI: 'Slovenia|Slovenian|Ljubljana',
  EE: 'Estonia|Estonian|Tallinn',
  LV: 'Latvia|Latvian|Riga',
  LT: 'Lithuania|Lithuanian|Vilnius',
  LU: 'Luxembourg',
  MT: 'Malta|Maltese|Valletta',
  CY: 'Cyprus|Cypriot|Nicosia',
  CH: 'Switzerland|Swiss|Zurich|Zürich|Geneva',
  NO: 'Norway|Norwegian|Oslo',
  AU: 'Australia|Australian|Sydney|Melbourne',
  KR: 'Korea|Korean|Seoul',
  BR: 'Brazil|Brazilian|São Paulo',
  MX: 'Mexico|Mexican',
};
const COUNTRY_OF = new Map<string, string>();
for (const [region, names] of Object.entries(COUNTRY_WORDS))
  for (const name of names.split('|')) COUNTRY_OF.set(name, region);
// Capitalised words looked up by name (and "Tel Aviv" from "Tel"): case-sensitive, so "polish the draft" names no
// country; a search for capitals is much cheaper than one for a hundred names.
const CAPITALISED = /(?<!\p{L})\p{Lu}\p{L}*/gu;
const LONGER_NAMES = new Map<string, string[]>();
for (const name of COUNTRY_OF.keys())
  if (name.includes(' '))
    LONGER_NAMES.set(name.split(' ', 1)[0]!, [...(LONGER_NAMES.get(name.split(' ', 1)[0]!) ?? []), name]);
/** How far from a number a country's name makes it that country's: about a paragraph. */
const MENTION_REACH = 300;
const mentions = new WeakMap<object, Array<{ at: number; region: string }>>();

/** The policy's regions, and the countries named near the number (found once per text, on the first number). */
function phoneRegions(
  scan: { text: string; regions: readonly string[] },
  start: number,
  end: number,
): readonly string[] {
  let found = mentions.get(scan);
  if (!found) {
    found = [];
    for (const m of scan.text.matchAll(CAPITALISED)) {
      const longer = LONGER_NAMES.get(m[0])?.find((name) => scan.text.startsWith(name, m.index));
      const region = COUNTRY_OF.get(longer ?? m[0]);
      if (region) found.push({ at: m.index, region });
    }
    mentions.set(scan, found);
  }
  let regions = scan.regions;
  for (const { at, region } of found)
    if (at > start - MENTION_REACH && at < end + MENTION_REACH && !regions.includes(region))
      regions = [...regions, region];
  return regions;
}

export const phoneNumber: ClusterRecognizer = (cluster, scan) => {
  const { text } = scan;
  let start = cluster.start;
  if (text[start - 1] === '(') start--;
  if (text[start - 1] === '+') start--;
  const raw = text.slice(start, cluster.end);
  let digits = 0;
  for (let i = 0; i < raw.length; i++) if (raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) digits++;
  if (
    digits < 7 ||
    digits > 40 ||
    /[A-Za-z]/.test(raw) ||
    /^\d{4}-\d{2}-\d{2}|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$|^\d+(?:\.\d+){3}$/.test(raw)
  )
    return;
  const fax = FAX_LABEL.test(scan.before(start, 20));
  // Parsing against numbering plans is the costliest check of all: a bare run of digits is more often an account or
  // record number, so it is tried only when written like a phone number (+, brackets, groups) or called one.
  const regions = phoneRegions(scan, start, cluster.end);
  const national = regions.some((region) => !NANP.has(region));
  // Long groups read as a phone number after a trunk 0 ("030 12345678") or a word such as "call" ("98765 43210"):
  // otherwise "100234-7781" is an order number.
  const long = national && (text[cluster.start] === '0' || scan.hasContext(start, cluster.end, PHONE_CONTEXT));
  const written = start < cluster.start || (cluster.groups.length > 1 && phoneShaped(cluster, long ? 8 : 4));
  if (!written && !fax && !(digits >= 10 && digits <= 12 && scan.hasContext(start, cluster.end, PHONE_CONTEXT))) return;
  const found = new Set<string>();
  // With its country code a number reads the same for every region: parsed once.
  for (const region of raw.startsWith('+') ? regions.slice(0, 1) : regions) {
    for (const match of findNumbers(raw, { defaultCountry: region as CountryCode, v2: true })) {
      const key = `${match.startsAt}:${match.endsAt}`;
      if (found.has(key)) continue;
      const [from, to] = [start + match.startsAt, start + match.endsAt];
      // Where national numbers are dialled after a trunk 0 ("030 …", "03-…"), one written without it and without a
      // country code is more likely a reference ("invoice 2024-118"): only a word such as "call" makes it a number.
      const bare = /^\d/.test(raw.slice(match.startsAt)) && raw[match.startsAt] !== '0';
      if (bare && !fax && match.number.formatNational().startsWith('0') && !scan.hasContext(from, to, PHONE_CONTEXT))
        continue;
      found.add(key);
      if (fax) scan.add('PHONE_NUMBER', from, to, 0.9, 'fax-number');
      else
        scan.addScored(
          'PHONE_NUMBER',
          from,
          to,
          { base: 0.6, context: 0.9 },
          `phone.${match.number.country ?? region}`,
          PHONE_CONTEXT,
        );
    }
  }
  if (fax && found.size === 0 && digits >= 10 && digits <= 15)
    scan.add('PHONE_NUMBER', start, cluster.end, 0.85, 'fax-number');
};

/**
 * Addresses that name no one's device: unspecified (0.0.0.0, ::), loopback, broadcast, multicast. Found, but below
 * any default rule's score.
 */
const NO_ONES = new Set(['unspecified', 'loopback', 'broadcast', 'multicast']);
const namesNoOne = (address: string): boolean => NO_ONES.has(ipaddr.parse(address).range());

export const ipv4Address = spanRecognizer([4, 12], 'numeric', (span, scan) => {
  if (!span.numeric || span.shape.length !== 4 || !uniform(span, '.') || !ipaddr.IPv4.isValidFourPartDecimal(span.raw))
    return;
  if (namesNoOne(span.raw)) return void scan.add('IP_ADDRESS', span.start, span.end, 0.3, 'ip.special');
  scan.addScored('IP_ADDRESS', span.start, span.end, { base: 0.6, context: 0.85 }, 'ip.v4', IP_CONTEXT);
});

const MAC =
  /^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}$|^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/;
/** The all-zero and broadcast addresses name no device. */
const NO_DEVICE = /^(?:0{12}|[fF]{12})$/;

function addMac(scan: Scan, start: number, end: number, value: string): void {
  if (!NO_DEVICE.test(value.replace(/[:.-]/g, ''))) scan.add('MAC_ADDRESS', start, end, 0.8, 'mac.hex');
}

const groupChar = (code: number): boolean => isAlnum(code) || code === 95;
const isHex = (code: number): boolean => isDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);

/**
 * IPv6 in RFC 4291 and 5952's forms: full, compressed ("::1", "fe80::1"), with an IPv4 tail ("::ffff:192.0.2.1"), a
 * zone ("fe80::1%eth0") or a prefix length ("2001:db8::/32"), which are part of the finding; in brackets before a
 * port, the address alone. A word's leading "::" is not in its cluster (which starts at a letter or digit).
 */
function ipv6(scan: Scan, wordStart: number, wordEnd: number): void {
  const { text } = scan;
  let start = wordStart;
  if (text.charCodeAt(start - 1) === 58 && text.charCodeAt(start - 2) === 58) {
    start -= 2;
    // And the groups before it that have no digit ("abcd::ef01"): the cluster began at the first digit's word.
    for (let group = start, groups = 0; groups < 8; groups++) {
      let from = group;
      while (from > 0 && group - from < 4 && isHex(text.charCodeAt(from - 1))) from--;
      if (from === group) break;
      start = from;
      if (text.charCodeAt(from - 1) !== 58 || !isHex(text.charCodeAt(from - 2))) break;
      group = from - 1;
    }
  }
  // "std::ab12" is a C++ name, not an address.
  if (start > 0 && (groupChar(text.charCodeAt(start - 1)) || text.charCodeAt(start - 1) === 58)) return;
  const word = text.slice(start, wordEnd);
  const cut = word.search(/[/%]/);
  const address = cut > 0 ? word.slice(0, cut) : word;
  // Eight groups, or fewer around "::": "12:45:09" is a time.
  const colons = address.match(/:/g)?.length ?? 0;
  if (colons < 2 || (colons < 7 && !address.includes('::')) || !ipaddr.IPv6.isValid(address)) return;
  // "1::2" is valid but reads as a ratio or a typo: short compressed forms start with "::" or a real prefix.
  const groups = address.split(':').filter(Boolean);
  if (groups.length < 3 && !address.startsWith('::') && groups[0]!.length < 3) return;
  let end = start + address.length;
  const suffix = cut > 0 ? word.slice(cut) : '';
  const zone = /^%[A-Za-z0-9._-]{1,32}$/.exec(suffix);
  const prefix = /^\/(\d{1,3})$/.exec(suffix);
  if (zone || (prefix && Number(prefix[1]) <= 128)) end = wordEnd;
  if (namesNoOne(address)) return void scan.add('IP_ADDRESS', start, end, 0.3, 'ip.special');
  scan.addScored('IP_ADDRESS', start, end, { base: 0.8, context: 0.9 }, 'ip.v6', IP_CONTEXT);
}

/** IPv6 and MAC addresses are words of hexadecimal groups joined by colons, dashes or dots. */
export const hexAddresses: ClusterRecognizer = (cluster, scan) => {
  for (const word of cluster.words) {
    const length = word.end - word.start;
    if (length > 50) continue;
    const value = scan.text.slice(word.start, word.end);
    if ((length === 14 || length === 17) && MAC.test(value)) {
      addMac(scan, word.start, word.end, value);
      continue;
    }
    if (value.includes(':') || scan.text.charCodeAt(word.start - 1) === 58) ipv6(scan, word.start, word.end);
  }
};

// MACs written with no digit at all ("AA:BB:CC:DD:EE:FF", "aabb.ccdd.eeff"), which no digit leads the engine to:
// looked for from each colon, dash or dot, two (or four) hexadecimal letters after the start of a word.
const LETTER_MAC = /[A-Fa-f]{2}([:-])[A-Fa-f]{2}(?:\1[A-Fa-f]{2}){4}|[A-Fa-f]{4}\.[A-Fa-f]{4}\.[A-Fa-f]{4}/y;
const MAC_EDGE = /[0-9A-Za-z:.-]/;
const isHexLetter = (code: number): boolean => (code >= 65 && code <= 70) || (code >= 97 && code <= 102);

export const letterMacAddress: TextRecognizer = (scan) => {
  const { text } = scan;
  // Within one address, a later separator's start follows a separator (MAC_EDGE): each is reported once.
  const at = (separator: string, width: number) => {
    for (let i = text.indexOf(separator, width); i !== -1; i = text.indexOf(separator, i + 1)) {
      const start = i - width;
      if (!isHexLetter(text.charCodeAt(i - 1)) || !isHexLetter(text.charCodeAt(i + 1))) continue;
      if (start > 0 && MAC_EDGE.test(text[start - 1]!)) continue;
      LETTER_MAC.lastIndex = start;
      const m = LETTER_MAC.exec(text);
      if (!m) continue;
      const end = start + m[0].length;
      if (end < text.length && /[0-9A-Za-z:-]/.test(text[end]!)) continue;
      if (text[end] === '.' && /[0-9A-Za-z]/.test(text[end + 1] ?? '')) continue;
      addMac(scan, start, end, m[0]);
    }
  };
  at(':', 2);
  at('-', 2);
  at('.', 4);
};

// After the "@": labels of a host name, at least two.
const EMAIL_DOMAIN =
  /[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?){1,8}/y;
const localChar = (code: number): boolean => isAlnum(code) || "._%+-'".includes(String.fromCharCode(code));

/** A real domain: a public suffix on the ICANN list with a registrable name before it. */
function publicDomain(host: string): boolean {
  const parsed = parseDomain(host, { allowPrivateDomains: true });
  return parsed.isIp === true || (parsed.isIcann === true && !!parsed.domainWithoutSuffix);
}

/** E-mail addresses, found from each "@" and kept only when the domain has a real public suffix. */
export const emailAddress: TextRecognizer = (scan) => {
  const { text } = scan;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start < 64 && localChar(text.charCodeAt(start - 1))) start--;
    // A local part starts with a letter or digit: "'%@example.com" in a SQL LIKE is no address.
    while (start < at && !isAlnum(text.charCodeAt(start))) start++;
    if (start === at) continue;
    EMAIL_DOMAIN.lastIndex = at + 1;
    const domain = EMAIL_DOMAIN.exec(text);
    if (!domain || !publicDomain(domain[0])) continue;
    scan.add('EMAIL_ADDRESS', start, at + 1 + domain[0].length, 0.9, 'email.public-suffix');
  }
};

const URL_END = /[\s<>"'`]/;
const TRAILING = /[.,;:!?)\]}]+$/;

/**
 * Web addresses (http, https, ftp or starting "www."), kept when the host is a real domain or an IP address; and the
 * password in any URL's "user:password@".
 */
export const url: TextRecognizer = (scan) => {
  const { text } = scan;
  // Returns where the address ends, so that the search goes on after it: each character is read once.
  const take = (start: number, hostStart: number): number => {
    let end = hostStart;
    while (end < text.length && end - start < 2048 && !URL_END.test(text[end]!)) end++;
    const value = text.slice(start, end).replace(TRAILING, '');
    const host = value
      .slice(hostStart - start)
      .split(/[/?#:]/, 1)[0]!
      .replace(/^[^@]*@/, '');
    const web = hostStart === start || /^(?:https?|ftps?|wss?):\/\/$/i.test(text.slice(start, hostStart));
    // "www.microsoft" has a brand's top-level domain and no name under it: no address.
    const named = hostStart !== start || /^www\.[^.]+\.[^.]/i.test(host);
    if (web && host && named && publicDomain(host)) scan.add('URL', start, start + value.length, 0.6, 'url.host');
    // user:password@ in the authority: a credential, whatever the host ("postgres://app:s3cret@db.internal").
    const credentials = /^[^\s/?#@:]{1,100}:([^\s/?#@]{1,200})@/.exec(text.slice(hostStart, end));
    if (credentials && !/^\*+$|^\$\{|^<.*>$/.test(credentials[1]!)) {
      const from = hostStart + credentials[0].length - 1 - credentials[1]!.length;
      scan.add('GENERIC_SECRET', from, from + credentials[1]!.length, 0.9, 'secret.url-credentials');
    }
    return end;
  };
  let after = 0;
  for (let i = text.indexOf('://'); i !== -1; i = text.indexOf('://', Math.max(i + 3, after))) {
    let start = i;
    while (start > after && i - start < 10 && /[A-Za-z]/.test(text[start - 1]!)) start--;
    if (start < i) after = take(start, i + 3);
  }
  for (let i = text.indexOf('www.'); i !== -1; i = text.indexOf('www.', Math.max(i + 4, after))) {
    if (i > 0 && /[A-Za-z0-9/.:]/.test(text[i - 1]!)) continue;
    after = take(i, i);
  }
};

/**
 * Top-level domains a bare name may end in. Country codes, but not those that are also the file extensions people
 * write in prompts (readme.md, setup.py, main.rs, install.sh, lib.so, main.tf, user.id); and of the generic ones only
 * those mostly seen in addresses, so that member access in code ("user.name", "this.app", "req.email") is no domain.
 */
const FILE_EXTENSIONS = new Set([
  'md',
  'py',
  'rs',
  'sh',
  'so',
  'ps',
  'cc',
  'tf',
  'mk',
  'sc',
  'ml',
  'pm',
  'st',
  'gs',
  'mo',
  'id',
  'bz',
  'ts',
  'js',
  'cs',
  'kt',
  'do',
]);
const GENERIC = new Set([
  'com',
  'net',
  'org',
  'edu',
  'gov',
  'mil',
  'int',
  'info',
  'biz',
  'xyz',
  'online',
  'site',
  'store',
  'tech',
  'shop',
  'blog',
  'cloud',
  'health',
  'news',
  'eu',
  'asia',
  'museum',
  'aero',
  'coop',
  'travel',
  'jobs',
]);
const DOMAIN_CHAR = /[A-Za-z0-9.-]/;
const DOMAIN_CONTEXT = words(
  'site',
  'website',
  'web site',
  'domain',
  'visit',
  'go to',
  'browse',
  'homepage',
  'portal',
  'url',
);

/** A bare domain's public suffix is one people write addresses with. */
function addressSuffix(suffix: string): boolean {
  if (!/^[a-z]{2,}(?:\.[a-z]{2,})*$/.test(suffix)) return false;
  if (suffix.includes('.')) return true;
  return suffix.length === 2 ? !FILE_EXTENSIONS.has(suffix) : GENERIC.has(suffix);
}

/**
 * Domain names written without a scheme ("microsoft.com", "google.co.il", "example.org/pricing"): a registrable name
 * under a public suffix (lower-case, as addresses are written), scored below a full URL. Found from each dot followed
 * by a lower-case letter; names inside e-mail addresses, URLs and paths are left to those recognizers.
 */
export const bareDomain: TextRecognizer = (scan) => {
  const { text } = scan;
  let after = 0;
  for (let dot = text.indexOf('.'); dot !== -1; dot = text.indexOf('.', Math.max(dot + 1, after))) {
    const next = text.charCodeAt(dot + 1);
    if (next < 97 || next > 122 || dot === 0 || !isAlnum(text.charCodeAt(dot - 1))) continue;
    let start = dot;
    while (start > 0 && dot - start < 253 && DOMAIN_CHAR.test(text[start - 1]!)) start--;
    let end = dot + 1;
    while (end < text.length && end - start < 253 && DOMAIN_CHAR.test(text[end]!)) end++;
    after = end;
    while (end > dot && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
    const before = text[start - 1] ?? ' ';
    const following = text[end] ?? ' ';
    // In an e-mail address, a URL, a path or code: "a.b@c", "//a.b", "x/a.b", "a.b(", "a.b_c", "$a.b".
    if ('@/\\:._$#%&=~'.includes(before) || '@_(['.includes(following) || isAlnum(text.charCodeAt(end))) continue;
    const host = text.slice(start, end);
    if (/^www\./i.test(host)) continue; // the URL recognizer's
    const parsed = parseDomain(host, { allowPrivateDomains: false });
    if (!parsed.isIcann || !parsed.domainWithoutSuffix || !parsed.publicSuffix || !addressSuffix(parsed.publicSuffix))
      continue;
    if (!host.endsWith(parsed.publicSuffix) || /^\d+$/.test(parsed.domainWithoutSuffix)) continue;
    // A path after the name is part of the address.
    let last = end;
    if (following === '/') {
      while (last < text.length && last - start < 2048 && !URL_END.test(text[last]!)) last++;
      last = start + text.slice(start, last).replace(TRAILING, '').length;
      after = last;
    }
    scan.addScored('URL', start, last, { base: 0.5, context: 0.55 }, 'url.bare-domain', DOMAIN_CONTEXT);
  }
};

export function networkSpanRecognizers(): SpanRecognizer[] {
  return [ipv4Address];
}
