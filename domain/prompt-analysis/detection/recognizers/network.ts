import ipaddr from 'ipaddr.js';
import { findNumbers, type CountryCode } from 'libphonenumber-js/max';
import { parse as parseDomain } from 'tldts';
import type { Cluster } from '../cluster.js';
import { isAlnum, words } from '../scan.js';
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
/** Groups of at most four digits, at most 15 in all (E.164), and not an SSN's 3-2-4. */
function phoneShaped(text: string, cluster: Cluster): boolean {
  const lengths = cluster.groups.map((g) => g.end - g.start);
  if (lengths.some((n) => n > 4) || lengths.reduce((a, b) => a + b, 0) > 15) return false;
  return !(lengths.length === 3 && lengths[0] === 3 && lengths[1] === 2 && lengths[2] === 4);
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
  const written = start < cluster.start || (cluster.groups.length > 1 && phoneShaped(text, cluster));
  if (!written && !fax && !(digits >= 10 && digits <= 12 && scan.hasContext(start, cluster.end, PHONE_CONTEXT))) return;
  const found = new Set<string>();
  for (const region of scan.regions) {
    for (const match of findNumbers(raw, { defaultCountry: region as CountryCode, v2: true })) {
      const key = `${match.startsAt}:${match.endsAt}`;
      if (found.has(key)) continue;
      found.add(key);
      const [from, to] = [start + match.startsAt, start + match.endsAt];
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

export const ipv4Address = spanRecognizer([4, 12], 'numeric', (span, scan) => {
  if (!span.numeric || span.shape.length !== 4 || !uniform(span, '.') || !ipaddr.IPv4.isValidFourPartDecimal(span.raw))
    return;
  scan.addScored('IP_ADDRESS', span.start, span.end, { base: 0.6, context: 0.85 }, 'ip.v4', IP_CONTEXT);
});

const MAC =
  /^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}$|^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/;

/** IPv6 and MAC addresses are words of hexadecimal groups joined by colons, dashes or dots. */
export const hexAddresses: ClusterRecognizer = (cluster, scan) => {
  for (const word of cluster.words) {
    const length = word.end - word.start;
    if (length < 14 || length > 45) continue;
    let end = word.end;
    let value = scan.text.slice(word.start, end);
    if (MAC.test(value)) {
      scan.add('MAC_ADDRESS', word.start, end, 0.8, 'mac.hex');
      continue;
    }
    if (!value.includes(':')) continue;
    // A trailing port or prefix length: "2001:db8::1/64" is still the address 2001:db8::1.
    const cut = value.search(/[/%]/);
    if (cut > 0) {
      value = value.slice(0, cut);
      end = word.start + cut;
    }
    if (ipaddr.IPv6.isValid(value) && (value.match(/:/g)?.length ?? 0) >= 2) {
      scan.addScored('IP_ADDRESS', word.start, end, { base: 0.8, context: 0.9 }, 'ip.v6', IP_CONTEXT);
    }
  }
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
    if (web && host && publicDomain(host)) scan.add('URL', start, start + value.length, 0.6, 'url.host');
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

export function networkSpanRecognizers(): SpanRecognizer[] {
  return [ipv4Address];
}
