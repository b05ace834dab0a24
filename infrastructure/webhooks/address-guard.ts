import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Webhooks must not become a way into the MSP's own network (SSRF): a URL whose host is, or resolves to, a private,
 * loopback, link-local or otherwise non-public address is refused unless an operator allowlisted that host
 * (WEBHOOK_ALLOWED_HOSTS, host or host:port). Checked when the webhook is registered and again at each delivery,
 * since DNS answers change.
 */
export class WebhookAddressGuard {
  constructor(private readonly allowed: readonly string[]) {}

  private allowlisted(url: URL): boolean {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return this.allowed.includes(host) || this.allowed.includes(`${host}:${port}`);
  }

  /** The reason a URL is refused as written, or null. */
  checkUrl(value: string): string | null {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'is not a URL';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http or https';
    if (url.username || url.password) return 'must not carry credentials';
    if (this.allowlisted(url)) return null;
    if (url.protocol !== 'https:') return 'must be https';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (ipaddr.isValid(host)) return publicAddress(host) ? null : 'points at a private or loopback address';
    if (host === 'localhost' || /\.(?:localhost|local|internal|lan|home\.arpa)$/i.test(host) || !host.includes('.'))
      return 'is not a public host name';
    return null;
  }

  /** Resolves the host and refuses it if any address is not public; returns the reason or null. */
  async checkDelivery(value: string): Promise<string | null> {
    const written = this.checkUrl(value);
    if (written) return written;
    const url = new URL(value);
    if (this.allowlisted(url)) return null;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (ipaddr.isValid(host)) return null;
    const addresses = await lookup(host, { all: true, verbatim: true });
    return addresses.every((a) => publicAddress(a.address))
      ? null
      : `${host} resolves to a private or loopback address`;
  }
}

function publicAddress(address: string): boolean {
  const parsed = ipaddr.process(address);
  return parsed.range() === 'unicast';
}
