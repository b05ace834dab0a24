import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// RFC 8785 (JSON Canonicalization Scheme); the package ships CommonJS typings that miss its default export.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** The canonical JSON text of a value (sorted keys, normalised numbers), or undefined for what JSON cannot hold. */
export function canonicalJson(value: unknown): string | undefined {
  return canonicalize(value);
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
