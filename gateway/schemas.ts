import { z } from 'zod';

/**
 * The request bodies the gateway takes, as OpenAI's API has them. Unknown members are let through the schema and
 * then sorted: the parameters below are forwarded as they are (they change how the model answers, not what it is
 * told); a few are refused because they would carry the answer past the output policy or more than one answer
 * (logprobs, top_logprobs, n > 1, audio/modalities, prediction); `user` is taken and not forwarded (it may be
 * personal data; the key's user reference is what is recorded); anything else is refused with a 400 naming it,
 * rather than forwarded unseen.
 */
export const FORWARDED_CHAT_PARAMETERS = [
  'temperature',
  'top_p',
  'stop',
  'max_tokens',
  'max_completion_tokens',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'seed',
  'response_format',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning_effort',
  'service_tier',
  'store',
] as const;
const TAKEN_NOT_FORWARDED = ['model', 'messages', 'stream', 'stream_options', 'user', 'n'];

/** A text part is text and nothing else: any other member would travel to the provider unanalysed. */
const TextPart = z.strictObject({ type: z.literal('text'), text: z.string() });
/** Images, audio and files: the engine cannot read them, and the client's gateway settings block or allow them. */
const OtherPart = z.looseObject({
  type: z
    .string()
    .min(1)
    .refine((type) => type !== 'text', 'a text part'),
});

const ToolCall = z.strictObject({
  id: z.string().min(1).max(200),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1).max(200), arguments: z.string() }),
});

/** The members a message may have: each is analysed (or structural); any other is refused, by name. */
const Message = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z
    .union([z.string(), z.array(z.union([TextPart, OtherPart])), z.null()], {
      error: 'expected a string, an array of content parts, or null',
    })
    .optional(),
  name: z.string().max(200).optional(),
  refusal: z.string().nullish(),
  tool_calls: z.array(ToolCall).optional(),
  tool_call_id: z.string().min(1).max(200).optional(),
});

/**
 * A model's name as providers write them (`gpt-4o-mini`, `meta-llama/Llama-3.1-8B`, `claude-3@20240229`): it is
 * recorded and shown in reasons, so it is held to the characters a name needs.
 */
export const ModelName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/, 'expected a model name: letters, digits and . _ : / @ + -');

const Probability = z.number().min(0).max(1);
const Penalty = z.number().min(-2).max(2);

/** The forwarded parameters, typed as OpenAI documents them, so that the provider is never sent what it refuses. */
const Forwarded = {
  temperature: z.number().min(0).max(2).nullish(),
  top_p: Probability.nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  presence_penalty: Penalty.nullish(),
  frequency_penalty: Penalty.nullish(),
  logit_bias: z.record(z.string().regex(/^\d{1,10}$/, 'expected token ids'), z.number().min(-100).max(100)).nullish(),
  seed: z.int().nullish(),
  response_format: z
    .union([
      z.strictObject({ type: z.enum(['text', 'json_object']) }),
      z.strictObject({ type: z.literal('json_schema'), json_schema: z.record(z.string(), z.unknown()) }),
    ])
    .nullish(),
  tools: z
    .array(
      z.strictObject({
        type: z.literal('function'),
        function: z.record(z.string(), z.unknown()),
      }),
    )
    .max(128)
    .nullish(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) }),
    ])
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).nullish(),
  service_tier: z.enum(['auto', 'default', 'flex', 'priority']).nullish(),
  store: z.boolean().nullish(),
};

export const ChatCompletionBody = z.looseObject({
  model: ModelName,
  messages: z.array(Message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
  n: z.literal(1).nullish(),
  max_tokens: z.int().min(1).nullish(),
  max_completion_tokens: z.int().min(1).nullish(),
  user: z.string().optional(),
  ...Forwarded,
});

export const EmbeddingsBody = z.strictObject({
  model: ModelName,
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.int().min(1).optional(),
  user: z.string().optional(),
});

/** The first member of a chat body that is neither taken nor forwarded: refused, by name. */
export function unsupportedParameter(body: Record<string, unknown>): string | null {
  const known = new Set<string>([...FORWARDED_CHAT_PARAMETERS, ...TAKEN_NOT_FORWARDED]);
  return Object.keys(body).find((key) => !known.has(key) && body[key] !== undefined) ?? null;
}

/** The forwarded parameters of a chat body, as given. */
export function forwardedParameters(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of FORWARDED_CHAT_PARAMETERS) if (body[key] !== undefined) out[key] = body[key];
  return out;
}

/** How deep a JSON value nests, counted no further than one level past `limit`. */
export function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const walk = (item: unknown, depth: number): void => {
    if (typeof item !== 'object' || item === null) return;
    deepest = Math.max(deepest, depth);
    if (depth > limit) return;
    for (const child of Object.values(item)) walk(child, depth + 1);
  };
  walk(value, 1);
  return deepest;
}
