/**
 * Text that PostgreSQL cannot hold: U+0000 (neither text nor jsonb stores it) and a UTF-16 surrogate without its pair
 * (no UTF-8 encoding exists; jsonb refuses its escape, text would silently get U+FFFD instead). Every other character
 * of Unicode, noncharacters included, is stored as sent.
 */
const UNSTORABLE = /\0|\p{Cs}/u;

export const UNSTORABLE_MESSAGE = 'must not contain U+0000 (NUL) or an unpaired UTF-16 surrogate';

export function isStorable(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/** A field name fit to be shown and recorded: such characters written as JSON escapes (\u0000). */
export function printableName(name: string): string {
  return isStorable(name) ? name : JSON.stringify(name).slice(1, -1);
}

/**
 * The fields of a parsed JSON value whose name or string value holds such a character, as dotted paths
 * ("rules.1.entity"), at any depth. Iterative: a deeply nested body cannot exhaust the stack.
 */
export function unstorableFields(value: unknown, at: string[] = []): string[] {
  const found: string[] = [];
  const pending: Array<[unknown, string[]]> = [[value, at]];
  for (let next = 0; next < pending.length; next++) {
    const [current, path] = pending[next]!;
    if (typeof current === 'string') {
      if (!isStorable(current)) found.push(path.join('.') || '(body)');
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, child] of Object.entries(current)) {
        const childPath = [...path, printableName(key)];
        if (isStorable(key)) pending.push([child, childPath]);
        else found.push(childPath.join('.'));
      }
    }
  }
  return found;
}
