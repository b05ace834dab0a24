import type { Request } from 'express';
import { canonicalIp } from '../ip-address.js';

/**
 * The client's address, for the audit trail and for rate limits alike: Express's req.ip (the socket's peer, or what
 * a proxy trusted by TRUST_PROXY forwarded), parsed and in canonical form. A forwarded value that is no address
 * (proxies pass on whatever the client wrote before them) counts as the peer itself, never as a raw header value.
 */
export function clientAddressOf(req: Request): string | undefined {
  return canonicalIp(req.ip) ?? canonicalIp(req.socket.remoteAddress);
}
