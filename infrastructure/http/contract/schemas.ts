import { z } from 'zod';

/**
 * The shapes every part of the API shares, defined once. Those with an id (`.meta({ id })`) become components of the
 * OpenAPI document (#/components/schemas/<id>), referred to from every operation that uses them.
 */

/** An id: a UUID (any variant, as clients may hold ids made elsewhere). */
export const Id = z.guid();

/** A global position in the event log, such as 00000000000000000745-00000000000000000012. */
export const Position = z
  .string()
  .regex(/^\d{20}-\d{20}$/)
  .meta({ id: 'Position', description: 'A global position in the event log' });

export const Timestamp = z.iso.datetime({ offset: true });

export const Problem = z
  .object({
    type: z.url(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    currentETag: z.string().nullable().optional().describe('In a 412: the ETag the resource has now'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const ListMeta = z
  .object({ total: z.int(), page: z.int(), size: z.int(), pages: z.int() })
  .meta({ id: 'ListMeta' });

/** The answer of a command: what it produced, and the log position it wrote (for X-Min-Position). */
export const commandAnswer = <T extends z.ZodType>(data: T) =>
  z.object({
    data,
    meta: z.object({
      position: Position.nullable(),
      withheld: z
        .array(z.string())
        .optional()
        .describe('In an Idempotency-Key replay: fields of the first answer that are never stored (secrets)'),
      withheldReason: z.string().optional(),
    }),
  });

/** One resource. */
export const resource = <T extends z.ZodType>(data: T) =>
  z.object({ data, meta: z.object({ asOf: Timestamp.optional(), position: Position.nullable().optional() }) });

/** A page of a list. */
export const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), meta: ListMeta });

/** ?page= (from 1) and ?size= (at most 100), on every list. */
export const Paging = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  size: z.coerce.number().int().min(1).max(100).default(20),
});

/** The values of a comma-separated filter (`a,b` or a repeated parameter), trimmed, without repeats or blanks. */
const listed = (given: string | string[]): string[] => [
  ...new Set(
    (Array.isArray(given) ? given : [given])
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter((value) => value !== ''),
  ),
];

/**
 * A query filter that takes one value or several, comma-separated (`severity=high,critical`); a repeated parameter
 * (`severity=high&severity=critical`) is read the same way. Each value must be one of `values`; the parsed form is a
 * list without repeats.
 */
export const commaList = <const T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((given, ctx) => {
      const list = listed(given);
      const unknown = list.filter((value) => !values.includes(value));
      if (list.length === 0 || unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message:
            list.length === 0
              ? `name at least one ${what}: ${values.join(', ')}`
              : `${unknown.map((value) => `"${value}"`).join(', ')} is not a ${what}; use ${values.join(', ')}, comma-separated`,
        });
        return z.NEVER;
      }
      return list as T[number][];
    })
    .meta({ description: `one or more of ${values.join(', ')}, comma-separated` });

/** A filter of one id or several, comma-separated (`clientId=a,b`), at most 100. */
export const idList = (what: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((given, ctx) => {
      const list = listed(given);
      const wrong = list.filter((value) => !Id.safeParse(value).success);
      if (list.length === 0 || list.length > 100 || wrong.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message:
            wrong.length > 0
              ? `${wrong.map((value) => JSON.stringify(value.slice(0, 40))).join(', ')} is not a ${what} id`
              : `name between 1 and 100 ${what} ids, comma-separated`,
        });
        return z.NEVER;
      }
      return list;
    })
    .meta({ description: `one or more ${what} ids, comma-separated` });
