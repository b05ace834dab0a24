import type { Action } from '../domain/ai-governance/client-ai-governance.js';
import type { GatewayCaller } from './caller.js';

/**
 * The one path every AI call takes: the gateway's /chat/completions (streamed or not) and the ledger's own chat.
 * Steps, in order, each refusal recorded as a GatewayRequestRecorded with its outcome and thrown as a GatewayRefusal:
 * rate limit (per key) → route the model to an approved service the caller may use that has a provider → reserve
 * an estimate of the tokens against the client's monthly budget → analyse every message's text, tool-call arguments
 * and tool results with the client's usage policy (PromptAnalyzed and violations appended BEFORE anything leaves; if
 * that fails nothing is forwarded) → block / redact (placeholders such as <US_SSN_1>, the mapping in memory only) /
 * warn → forward to the provider → analyse the answer with the output rules, restore the request's placeholders →
 * settle the budget to the real usage → record → return.
 */

/** A part of a message's content, as the OpenAI API has it. Only `text` parts can be analysed. */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: unknown }
  | { type: 'input_audio'; input_audio: unknown }
  | { type: 'file'; file: unknown }
  | { type: string; [key: string]: unknown };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of a conversation, as OpenAI's chat completions API has it. */
export interface ChatTurn {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string | ContentPart[] | null;
  name?: string;
  /** An assistant's refusal, as an earlier answer gave it: text like any other. */
  refusal?: string | null;
  /** An assistant's calls of tools: their arguments are analysed (and redacted) like text. */
  tool_calls?: ToolCall[];
  /** A tool's answer names the call it answers; its content is analysed like text. */
  tool_call_id?: string;
}

/**
 * A chat completion request: the model, the messages, and the OpenAI parameters the gateway forwards as they are
 * (see gateway/schemas.ts for the list; anything else is refused with a 400 naming it).
 */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatTurn[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  /** temperature, top_p, stop, tools, tool_choice, response_format, seed, ...: forwarded unchanged. */
  [parameter: string]: unknown;
}

/** Tokens in and out, from the provider's usage when it gave one, else counted by the ledger. */
export interface ExchangeUsage {
  tokensIn: number;
  tokensOut: number;
  source: 'provider' | 'counted';
}

export interface ChatExchangeResult {
  /** The GatewayRequestRecorded's requestId (also the chat completion's id, `chatcmpl-<requestId>`). */
  requestId: string;
  /** The PromptAnalyzed of the input. */
  analysisId: string;
  /** The input policy's decision (never block here: a block is thrown). */
  decision: Action;
  aiServiceId: string;
  /** The model as the provider named it in its answer (else the one asked for). */
  model: string;
  /** The messages as they left for the provider: placeholder form, no redacted value in them. */
  sent: ChatTurn[];
  /**
   * The answer as the provider sent it, after the output policy (values it redacts or blocks replaced by
   * placeholders) and WITHOUT restoring the request's placeholders: what may be stored (e.g. chat history).
   */
  answerAsReceived: string;
  /** The answer for the caller: the request's placeholders restored to the caller's own values. Never store it. */
  answer: string;
  /** Tool calls the model asked for, arguments restored like the answer (null when none). */
  toolCalls: ToolCall[] | null;
  usage: ExchangeUsage;
  /** OpenAI's finish_reason: stop, length, tool_calls, content_filter (the output policy blocked the rest). */
  finishReason: string;
}

export interface ExchangeOptions {
  /** Aborts the provider call (the caller went away): the request is recorded as cancelled. */
  signal: AbortSignal;
  /**
   * Streaming: called with each piece of the answer as soon as it is safe to show (restored, output policy applied),
   * holding back only what may still be a placeholder or a value split across chunks. The pieces join to `answer`.
   */
  onDelta?: (text: string) => void;
  /** Streaming, for the gateway's SSE: each tool-call delta as the provider sent it (arguments restored). */
  onToolCallDelta?: (delta: unknown) => void;
  /** Whether the caller streams (recorded); defaults to whether onDelta is given. */
  streamed?: boolean;
  /** Streaming: called once the provider accepted the request, before the first delta (send the headers then). */
  onStart?: () => void;
  /** The request's id, when the caller needs it before the answer (the stream's chunk ids); else a new one. */
  requestId?: string;
  /** The incoming request's correlation id, for the events' metadata. */
  correlationId?: string;
  /** The conversation the request belongs to (the chat's session id), recorded with its analysis. */
  conversationId?: string;
}

/** OpenAI's error object, as the gateway answers it: `{ error: { message, type, param, code } }`. */
export interface OpenAiError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
  /** On a policy refusal: the analysis that decided it, and its reasons in words. */
  analysis_id?: string;
  reasons?: string[];
}

/**
 * A request the gateway refused or could not complete, already recorded (requestId names the record; analysisId the
 * analysis, when it got that far). `status` is the HTTP status to answer with, `error` OpenAI's error object.
 */
export class GatewayRefusal extends Error {
  constructor(
    readonly status: number,
    readonly error: OpenAiError,
    readonly requestId: string | null = null,
    readonly analysisId: string | null = null,
    /** Seconds, for a 429's Retry-After. */
    readonly retryAfter?: number,
  ) {
    super(error.message);
    this.name = 'GatewayRefusal';
  }
}

export type { GatewayCaller };
