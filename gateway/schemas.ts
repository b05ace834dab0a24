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

const TextPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const OtherPart = z.looseObject({ type: z.string().min(1) });

const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

const Message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(z.union([TextPart, OtherPart])), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(ToolCall).optional(),
  tool_call_id: z.string().optional(),
});

export const ChatCompletionBody = z.looseObject({
  model: z.string().min(1).max(200),
  messages: z.array(Message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  n: z.literal(1).nullish(),
  max_tokens: z.int().min(1).nullish(),
  max_completion_tokens: z.int().min(1).nullish(),
  user: z.string().optional(),
});

export const EmbeddingsBody = z.strictObject({
  model: z.string().min(1).max(200),
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
