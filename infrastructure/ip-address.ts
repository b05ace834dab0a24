import ipaddr from 'ipaddr.js';

/**
 * An IP address in one canonical form: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, zeros compressed, no
 * zone), an IPv4-mapped IPv6 address as its IPv4 address. Undefined for anything else, including the shorthands some
 * parsers accept but no address header should hold (127.1, 0x7f000001) and addresses with a port.
 */
export function canonicalIp(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(value)) return ipaddr.IPv4.parse(value).toString();
  if (!ipaddr.IPv6.isValid(value)) return undefined;
  const address = ipaddr.IPv6.parse(value);
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().toString();
  address.zoneId = undefined;
  return address.toRFC5952String();
}

/** The names Express gives ranges of proxies it may trust (`trust proxy`). */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** Whether a value names proxies as Express's `trust proxy` takes them: a range name, an address or CIDR range. */
export function isProxyAddress(value: string): boolean {
  if (PROXY_RANGES.includes(value)) return true;
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || canonicalIp(address) === undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits >= 1 && bits <= (address!.includes(':') ? 128 : 32);
}
