/**
 * A position in the global log.
 *
 * Positions are opaque to callers: a string that can be stored (a checkpoint, an HTTP header) and compared.
 * Internally each one is two unsigned 64-bit numbers, zero-padded to the same width, so that comparing the strings
 * compares the positions. PostgreSQL uses (transaction id, global sequence); EventStoreDB (commit, prepare).
 */
export type Position = string & { readonly __brand: 'Position' };

const WIDTH = 20; // digits in 2^64 - 1
const PATTERN = /^\d{20}-\d{20}$/;

export function makePosition(major: bigint, minor: bigint): Position {
  if (major < 0n || minor < 0n) throw new RangeError('A position is made of two unsigned numbers');
  return `${major.toString().padStart(WIDTH, '0')}-${minor.toString().padStart(WIDTH, '0')}` as Position;
}

/** The position before every event. Reading or subscribing "from" it starts with the first event. */
export const START: Position = makePosition(0n, 0n);

/** The largest part a position may have: what a signed 64-bit integer holds, as both stores' numbers fit in. */
const LARGEST_PART = '09223372036854775807';

export function isPosition(value: unknown): value is Position {
  if (typeof value !== 'string' || !PATTERN.test(value)) return false;
  const [major, minor] = value.split('-') as [string, string];
  return major <= LARGEST_PART && minor <= LARGEST_PART;
}

/** Parses a position received from outside (a header, a query string). Throws a RangeError if it is not one. */
export function parsePosition(value: string): Position {
  if (!isPosition(value)) throw new RangeError(`Not a log position: ${JSON.stringify(value)}`);
  return value;
}

export function positionParts(position: Position): [major: bigint, minor: bigint] {
  const [major, minor] = position.split('-') as [string, string];
  return [BigInt(major), BigInt(minor)];
}

/** Negative when a is before b, zero when equal, positive when after. */
export function comparePositions(a: Position, b: Position): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxPosition(a: Position, b: Position): Position {
  return comparePositions(a, b) >= 0 ? a : b;
}
