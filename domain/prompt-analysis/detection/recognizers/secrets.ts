import { base64urlnopad, bech32, bech32m, createBase58check } from '@scure/base';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { entropy } from '../checksums.js';
import { words, type Scan } from '../scan.js';
import type { ClusterRecognizer, TextRecognizer } from './recognizer.js';

/** Credentials and keys, and cryptocurrency addresses: tokens whose structure or checksum can be verified. */

interface TokenPattern {
  entity: string;
  rule: string;
  /** Searched within each space-free word of a cluster; global, so that "key=AKIA..." finds the key. */
  pattern: RegExp;
  score: number;
  check?: (value: string) => boolean;
}

const base58check = createBase58check(sha256);

function decodesAsJsonObject(part: string): boolean {
  try {
    const json: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64urlnopad.decode(part)));
    return typeof json === 'object' && json !== null && !Array.isArray(json);
  } catch {
    return false;
  }
}

function validBase58Address(value: string): boolean {
  try {
    const payload = base58check.decode(value);
    return payload.length === 21 && (payload[0] === 0x00 || payload[0] === 0x05);
  } catch {
    return false;
  }
}

function validBech32Address(value: string): boolean {
  const lower = value.toLowerCase();
  if (lower !== value && value.toUpperCase() !== value) return false;
  for (const codec of [bech32, bech32m]) {
    try {
      const decoded = codec.decode(lower as `${string}1${string}`, 90);
      if (decoded.prefix === 'bc' && decoded.words.length > 0) return (decoded.words[0] === 0) === (codec === bech32);
    } catch {
      // try the other encoding
    }
  }
  return false;
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** EIP-55: mixed-case addresses carry a checksum in the case of their letters. */
function eip55(value: string): boolean {
  const address = value.slice(2);
  if (address === address.toLowerCase() || address === address.toUpperCase()) return true;
  const hash = hex(keccak_256(new TextEncoder().encode(address.toLowerCase())));
  for (let i = 0; i < 40; i++) {
    const c = address[i]!;
    if (/[a-f]/i.test(c) && (parseInt(hash[i]!, 16) >= 8 ? c !== c.toUpperCase() : c !== c.toLowerCase())) return false;
  }
  return true;
}

const TOKENS: TokenPattern[] = [
  {
    entity: 'AWS_ACCESS_KEY',
    rule: 'aws.access-key-id',
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[A-Z2-7]{16}(?![A-Za-z0-9])/g,
    score: 0.95,
  },
  {
    entity: 'GITHUB_TOKEN',
    rule: 'github.token',
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,242})(?![A-Za-z0-9_])/g,
    score: 0.95,
  },
  {
    entity: 'GITLAB_TOKEN',
    rule: 'gitlab.token',
    pattern: /(?<![A-Za-z0-9_-])gl(?:pat|dt|rt|cbt|ptt|oas)-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])/g,
    score: 0.95,
  },
  {
    entity: 'SLACK_TOKEN',
    rule: 'slack.token',
    pattern: /(?<![A-Za-z0-9])xox[abposre]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/g,
    score: 0.95,
  },
  {
    entity: 'STRIPE_KEY',
    rule: 'stripe.secret-key',
    pattern: /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])/g,
    score: 0.95,
  },
  {
    entity: 'OPENAI_API_KEY',
    rule: 'openai.api-key',
    pattern:
      /(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}(?![A-Za-z0-9_-])/g,
    score: 0.95,
  },
  {
    entity: 'OPENAI_API_KEY',
    rule: 'openai.api-key-shape',
    pattern: /(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{32,200}(?![A-Za-z0-9_-])/g,
    score: 0.75,
    check: (v) => /\d/.test(v) && /[A-Z]/.test(v) && /[a-z]/.test(v.slice(3)),
  },
  {
    entity: 'JWT',
    rule: 'jwt.json',
    pattern:
      /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,4096}\.eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,2048}(?![A-Za-z0-9_-])/g,
    score: 0.95,
    check: (v) => v.split('.').slice(0, 2).every(decodesAsJsonObject),
  },
  {
    entity: 'CRYPTO',
    rule: 'bitcoin.base58check',
    pattern: /(?<![A-Za-z0-9])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![A-Za-z0-9])/g,
    score: 0.95,
    check: validBase58Address,
  },
  {
    entity: 'CRYPTO',
    rule: 'bitcoin.bech32',
    pattern: /(?<![A-Za-z0-9])(?:bc1|BC1)[ac-hj-np-zAC-HJ-NP-Z02-9]{8,87}(?![A-Za-z0-9])/g,
    score: 0.95,
    check: validBech32Address,
  },
  {
    entity: 'CRYPTO',
    rule: 'ethereum.address',
    pattern: /(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![A-Za-z0-9])/g,
    score: 0.6,
    check: eip55,
  },
];

const SECRET_CONTEXT = words(
  'secret',
  'secrets',
  'password',
  'passwd',
  'pwd',
  'pass',
  'token',
  'api[ _-]?key',
  'apikey',
  'access[ _-]?key',
  'private[ _-]?key',
  'client[ _-]?secret',
  'auth',
  'credential',
  'credentials',
  'bearer',
  'key',
);
const AWS_SECRET_CONTEXT = words('aws', 'secret', 'secret_access_key', 'aws_secret_access_key', 'secretaccesskey');
/** "password: " or "API_KEY = '" just before a value: a name that says secret, then an assignment. */
const SECRET_LABEL =
  /(?:secret|password|passwd|pwd|pass|token|api[ _-]?key|apikey|access[ _-]?key|private[ _-]?key|client[ _-]?secret|credentials?)["']?\s*(?:=|:|=>)\s*["']?$/;
/** "KEY=value", "password: value": a name that says secret, then the value. */
const ASSIGNMENT = /^([A-Za-z0-9_.-]{0,60}?)(?:=|:)['"]?(.+)$/;

/** Keys and tokens inside one word: named formats first, then high-entropy values in a secret's context. */
export const secretTokens: ClusterRecognizer = (cluster, scan) => {
  const { text } = scan;
  for (const word of cluster.words) {
    const length = word.end - word.start;
    if (length < 12) continue;
    const value = text.slice(word.start, word.end);
    let named = false;
    for (const token of TOKENS) {
      token.pattern.lastIndex = 0;
      for (let match = token.pattern.exec(value); match; match = token.pattern.exec(value)) {
        if (token.check && !token.check(match[0])) continue;
        scan.add(
          token.entity,
          word.start + match.index,
          word.start + match.index + match[0].length,
          token.score,
          token.rule,
        );
        named = true;
      }
    }
    if (!named) contextualSecret(scan, word.start, value);
  }
};

const AWS_SECRET = /^[A-Za-z0-9/+]{40}$/;

function contextualSecret(scan: Scan, start: number, word: string): void {
  // The value of "name=value", or the whole word with the name written before it ("password: hunter2...").
  const assignment = ASSIGNMENT.exec(word);
  const [offset, value, named] = assignment
    ? [
        word.length - assignment[2]!.length,
        assignment[2]!.replace(/['"]$/, ''),
        SECRET_CONTEXT.test(assignment[1]!.toLowerCase().replace(/[_.-]/g, ' ')),
      ]
    : [0, word.replace(/['"]$/, ''), SECRET_LABEL.test(scan.before(start, 40))];
  if (value.length < 8 || value.length > 512) return;
  const from = start + offset;
  const to = from + value.length;
  if (
    AWS_SECRET.test(value) &&
    /[a-z]/.test(value) &&
    /[A-Z]/.test(value) &&
    /\d/.test(value) &&
    (named || scan.hasContext(from, to, AWS_SECRET_CONTEXT))
  ) {
    scan.add('AWS_SECRET_KEY', from, to, 0.9, 'aws.secret-access-key');
    return;
  }
  // A value assigned to a name that says secret is one, entropy or not ("password=Summer2024!"), unless it is a
  // placeholder or a reference to one.
  if (
    named &&
    value.length >= 8 &&
    !/^(?:\$\{|\$[A-Z_]|<|%|\*{3}|x{4}|changeme|redacted|example|your[_-])/i.test(value)
  ) {
    scan.add('GENERIC_SECRET', from, to, 0.75, 'secret.assigned');
    return;
  }
  if (looksLikeWordsOrAddress(value)) return;
  if (value.length < 16) return;
  const bits = entropy(value);
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((c) => c.test(value)).length;
  if (bits < 3.5 || classes < 2) return;
  if (named || SECRET_CONTEXT.test(scan.before(from, 24)))
    scan.add('GENERIC_SECRET', from, to, bits >= 4 ? 0.8 : 0.7, 'secret.entropy-in-context');
  else if (bits >= 4.5 && value.length >= 32 && classes >= 3)
    scan.add('GENERIC_SECRET', from, to, 0.3, 'secret.entropy');
}

/** URLs, paths, host names and snake_case words have the entropy of a key without being one. */
function looksLikeWordsOrAddress(value: string): boolean {
  if (/^(?:[a-z][a-z0-9+.-]*:\/\/|www\.|\/|\.\/)/i.test(value) || /^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:\/|$)/i.test(value))
    return true;
  let inWords = 0;
  for (const run of value.match(/[a-z]{4,}|[A-Z][a-z]{3,}/g) ?? []) inWords += run.length;
  return inWords / value.length > 0.5;
}

const MAX_PEM = 16 * 1024;
const PEM_BEGIN = /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----/y;

/** PEM and OpenSSH private keys, from the BEGIN line to the matching END line (or the end of the base64 body). */
export const privateKey: TextRecognizer = (scan) => {
  const { text } = scan;
  for (let i = text.indexOf('-----BEGIN '); i !== -1; i = text.indexOf('-----BEGIN ', i + 11)) {
    PEM_BEGIN.lastIndex = i;
    const begin = PEM_BEGIN.exec(text);
    if (!begin) continue;
    const endLine = `-----END ${begin[1]}-----`;
    // Keys are a few kilobytes: the END line is looked for that far only, so that many BEGIN lines cost no more.
    const end = text.slice(PEM_BEGIN.lastIndex, PEM_BEGIN.lastIndex + MAX_PEM).indexOf(endLine);
    let to = end === -1 ? -1 : PEM_BEGIN.lastIndex + end + endLine.length;
    if (to === -1) {
      // Truncated: the body runs while lines look like base64 or headers.
      to = PEM_BEGIN.lastIndex;
      const body = /\s{0,4}(?:[A-Za-z0-9+/=]{16,}|[A-Za-z-]{1,40}: [^\n]{1,200})\r?\n?/y;
      for (body.lastIndex = to; body.lastIndex < text.length;) {
        const line = body.exec(text);
        if (!line || line[0].length === 0) break;
        to = body.lastIndex;
      }
    }
    scan.add('PRIVATE_KEY', i, to, 1, 'private-key.pem');
    i = to - 11;
  }
};
