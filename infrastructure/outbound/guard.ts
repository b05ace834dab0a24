import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has. Injectable, so that a test can script DNS answers. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system's resolution (getaddrinfo: /etc/hosts, then DNS), the same a plain fetch would use. */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/** A URL that passed the guard, and the only addresses a connection to it may go to. */
export interface VettedTarget {
  url: URL;
  /** The host as checked: lower case, punycode, no brackets, no trailing dots, an IP in its canonical form. */
  hostname: string;
  addresses: ResolvedAddress[];
}

export class OutboundRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`The URL ${reason}`);
    this.name = 'OutboundRefusedError';
  }
}

/**
 * Outbound HTTP to URLs that tenants supply (webhooks, AI provider base URLs) must not become a way into the
 * operator's own network (SSRF). A URL whose host is, or resolves to, a loopback, private, link-local or otherwise
 * non-public address, or a name outside the public DNS, is refused unless the operator allowlisted that host
 * (`host` or `host:port`, e.g. WEBHOOK_ALLOWED_HOSTS); only allowlisted hosts may use plain http.
 *
 * Host names are compared as DNS sees them: WHATWG URL parsing already folds case, IDNA, percent-encoding and every
 * IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1, 127.1); trailing dots and IPv4-mapped IPv6 are folded here.
 * `vet` resolves a name once and checks every address; `vettedFetch` then connects only to those addresses, so an
 * answer that changes between the check and the connection (DNS rebinding) is never used.
 */
export class OutboundGuard {
  private readonly allowed: ReadonlyArray<{ host: string; port?: string }>;
  private readonly resolve: Resolver;

  constructor(options: { allowedHosts: readonly string[]; resolve?: Resolver }) {
    this.allowed = options.allowedHosts.map((entry) => {
      const parsed = parseHostEntry(entry);
      if (!parsed) throw new Error(`"${entry}" is not a host or host:port`);
      return parsed;
    });
    this.resolve = options.resolve ?? systemResolver;
  }

  private allowlisted(url: URL, host: string): boolean {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return this.allowed.some((entry) => entry.host === host && (entry.port === undefined || entry.port === port));
  }

  /** The reason a URL is refused as written (no DNS), or null. */
  checkUrl(value: string): string | null {
    const checked = this.check(value);
    return typeof checked === 'string' ? checked : null;
  }

  /**
   * Resolves the URL's host once and checks every address it has; throws OutboundRefusedError when the URL or any
   * address is refused (and whatever the resolver throws, such as ENOTFOUND, when the name does not resolve).
   */
  async vet(value: string): Promise<VettedTarget> {
    const checked = this.check(value);
    if (typeof checked === 'string') throw new OutboundRefusedError(checked);
    const { url, hostname, allowlisted } = checked;
    if (ipaddr.isValid(hostname))
      return { url, hostname, addresses: [{ address: hostname, family: familyOf(hostname) }] };
    const addresses = await this.resolve(hostname);
    if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
    if (!allowlisted) {
      const refused = addresses.find((a) => !publicAddress(a.address));
      if (refused)
        throw new OutboundRefusedError(`resolves to a private or loopback address (${hostname}: ${refused.address})`);
    }
    return { url, hostname, addresses };
  }

  private check(value: string): string | { url: URL; hostname: string; allowlisted: boolean } {
    // URL parsing drops tabs and line breaks silently: a URL is to be stored and shown as it is used, so refuse them.
    if ([...value].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f))
      return 'must not contain spaces or control characters';
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'is not a URL';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http or https';
    if (url.username || url.password) return 'must not carry credentials';
    const hostname = canonicalHost(url.hostname);
    if (!hostname) return 'has no host';
    const allowlisted = this.allowlisted(url, hostname);
    if (allowlisted) return { url, hostname, allowlisted };
    if (url.protocol !== 'https:') return 'must be https';
    if (ipaddr.isValid(hostname)) {
      return publicAddress(hostname) ? { url, hostname, allowlisted } : 'points at a private or loopback address';
    }
    return publicName(hostname) ? { url, hostname, allowlisted } : 'is not a public host name';
  }
}

/** A host as DNS and the allowlist see it: what URL gives, without brackets or trailing dots, IPs canonical. */
function canonicalHost(hostname: string): string {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '');
  // An IPv4-mapped IPv6 address is that IPv4 address: ::ffff:127.0.0.1 is 127.0.0.1.
  return ipaddr.isValid(host) ? ipaddr.process(host).toString() : host;
}

/** An allowlist entry (`host` or `host:port`, any spelling a URL accepts), or undefined when it is not one. */
export function parseHostEntry(entry: string): { host: string; port?: string } | undefined {
  const value = entry.trim();
  if (ipaddr.IPv6.isValid(value)) return { host: canonicalHost(value) };
  try {
    const url = new URL(`http://${value}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    // URL drops the default port (80 here), which an entry may still name.
    const port = url.port || (/:80$/.test(value) ? '80' : undefined);
    const host = canonicalHost(url.hostname);
    return host ? { host, port } : undefined;
  } catch {
    return undefined;
  }
}

/** A name under a public suffix of the ICANN section (so not .local, .internal, .corp, .test, a single label…). */
function publicName(hostname: string): boolean {
  const parsed = parseDomain(hostname);
  return parsed.isIcann === true && parsed.domain !== null && !/(?:^|\.)arpa$/.test(hostname);
}

const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/** An address on the public internet: not loopback, private, link-local, reserved, or wrapping one of those. */
function publicAddress(address: string): boolean {
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  const v6 = parsed as ipaddr.IPv6;
  // NAT64 (RFC 6052 well-known prefix) reaches the IPv4 address in its last 32 bits: judge that one.
  if (v6.match(NAT64)) return publicAddress(ipaddr.fromByteArray(v6.toByteArray().slice(12)).toString());
  // Anything outside global unicast (IPv4-compatible ::a.b.c.d, 6to4, Teredo, ULA…) is refused.
  return v6.range() === 'unicast' && v6.match(GLOBAL_UNICAST);
}

function familyOf(address: string): 4 | 6 {
  return ipaddr.IPv4.isValid(address) ? 4 : 6;
}
