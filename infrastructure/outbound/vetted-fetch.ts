import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { OutboundGuard, ResolvedAddress } from './guard.js';

export interface VettedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** For the whole exchange: resolving, connecting, and reading the answer's body. */
  timeoutMs: number;
  /** The caller's own reason to stop (it went away): aborts like the timeout does. */
  signal?: AbortSignal;
}

/**
 * An HTTP request to a tenant-supplied URL, fetch-like, that goes only where the guard allowed: the host is resolved
 * once by the guard, every address checked, and the socket connects to one of those addresses (a `lookup` that
 * answers with them alone) while the Host header, TLS SNI and certificate check still use the URL's host name.
 * Redirects are never followed: a 3xx is the answer. No connection pooling, so no socket outlives its check.
 *
 * node:http(s) rather than fetch: Node's bundled fetch takes no per-request lookup, and pinning through an undici
 * dispatcher means depending on a second copy of undici that must match the bundled one; `lookup` is a stable,
 * documented option of node:net that every node:http(s) request honours.
 */
export async function vettedFetch(guard: OutboundGuard, url: string, init: VettedRequest): Promise<Response> {
  const timeout = AbortSignal.timeout(init.timeoutMs);
  const signal = init.signal ? AbortSignal.any([timeout, init.signal]) : timeout;
  const target = await abortable(guard.vet(url), signal);
  const { url: parsed, hostname, addresses } = target;
  const send = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
  const answer = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = send(parsed, {
      method: init.method ?? 'GET',
      headers: { ...init.headers, host: parsed.host },
      agent: false,
      lookup: pinnedLookup(addresses),
      // SNI and the certificate check use the name without its trailing dot (RFC 6066); never an IP.
      ...(isIP(hostname) ? {} : { servername: hostname }),
      signal,
    });
    request.on('response', resolve);
    // A timeout says so (TimeoutError), rather than node:http's bare AbortError.
    request.on('error', (error) => reject(signal.aborted ? (signal.reason as Error) : error));
    request.end(init.body);
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const one of [value ?? []].flat()) headers.append(name, one);
  }
  const status = answer.statusCode ?? 502;
  // A Response may not carry a body for these statuses.
  const empty = status === 204 || status === 205 || status === 304;
  if (empty) answer.resume();
  return new Response(empty ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>), {
    status,
    statusText: answer.statusMessage,
    headers,
  });
}

/** A net `lookup` that answers with the vetted addresses only, whatever name it is asked for. */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    const done = callback as (error: NodeJS.ErrnoException | null, address: unknown, family?: number) => void;
    if (usable.length === 0)
      return done(Object.assign(new Error('no vetted address of that family'), { code: 'ENOTFOUND' }), '', 0);
    if (options.all) return done(null, usable);
    return done(null, usable[0]!.address, usable[0]!.family);
  };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason as Error);
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
