import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

type Directives = Record<string, string[]>;

/** Every policy forbids framing (clickjacking) and a <base> that would re-point relative URLs. */
const ALWAYS: Directives = { 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"] };

/**
 * The policy of an API's answers: nothing in them is ever to be rendered as a page, run, or submitted from. Routes
 * that serve a page (the docs; the console later) mount their own policy after this one, which replaces it.
 */
const API_POLICY: Directives = { 'default-src': ["'none'"], 'form-action': ["'none'"], ...ALWAYS };

/** A year, as browsers and the HSTS preload list expect. */
const HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600;

/**
 * The security headers of every answer (helmet): nosniff, no framing (X-Frame-Options DENY and frame-ancestors), no
 * referrer, the API's Content-Security-Policy, and the cross-origin isolation headers helmet sets by default. HSTS only
 * over https: always when PUBLIC_URL is https, else when a proxy trusted by TRUST_PROXY says so (req.secure).
 */
export function securityHeaders(options: { publicUrl?: string }): RequestHandler[] {
  const alwaysHttps = options.publicUrl?.startsWith('https:') ?? false;
  const hsts = helmet.strictTransportSecurity({ maxAge: HSTS_MAX_AGE_SECONDS });
  return [
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: API_POLICY },
      strictTransportSecurity: false,
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
    (req, res, next) => (alwaysHttps || req.secure ? hsts(req, res, next) : next()),
  ];
}

/** A route's own Content-Security-Policy, in place of the API's; framing and <base> stay forbidden. */
export function contentSecurityPolicy(directives: Directives): RequestHandler {
  return helmet.contentSecurityPolicy({ useDefaults: false, directives: { ...directives, ...ALWAYS } });
}

const sha256Source = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * CSP sources that allow exactly the inline styles of a page, by their SHA-256 and without 'unsafe-inline': its
 * <style> blocks, and its style="…" attributes (which hashes match only with 'unsafe-hashes').
 */
export function inlineStyleSources(html: string): { elements: string[]; attributes: string[] } {
  const elements = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => sha256Source(match[1]!));
  const attributes = [...html.matchAll(/\sstyle="([^"]*)"/g)].map((match) => sha256Source(match[1]!));
  return { elements, attributes: attributes.length > 0 ? ["'unsafe-hashes'", ...attributes] : ["'none'"] };
}
