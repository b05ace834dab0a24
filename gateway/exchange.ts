import type { GatewayDeps } from './deps.js';
import type { GatewayCaller } from './caller.js';
import { countTokens } from './limits.js';
import { AnswerFilter, countFindings } from './output.js';
import { ledgerFailure, prepare, type Prepared } from './pipeline.js';
import { postToProvider, providerError, ProviderFailure, ProviderTimeout, sseData } from './provider.js';
import { forwardedParameters } from './schemas.js';
import {
  GatewayRefusal,
  type ChatCompletionRequest,
  type ChatExchangeResult,
  type ExchangeOptions,
  type ExchangeUsage,
  type ToolCall,
} from './types.js';

export * from './types.js';
export type { GatewayDeps } from './deps.js';
export { gatewayDeps } from './deps.js';

/**
 * The one path every AI call takes: the gateway's /chat/completions (streamed or not) and the ledger's own chat.
 * Steps, in order, each refusal recorded as a GatewayRequestRecorded with its outcome and thrown as a GatewayRefusal:
 * rate limit (per key) → route the model to an approved service the caller may use that has a provider → reserve
 * an estimate of the tokens against the client's monthly budget → analyse every message's text, tool-call arguments
 * and tool results with the client's usage policy (PromptAnalyzed and violations appended BEFORE anything leaves; if
 * that fails nothing is forwarded) → block / redact (placeholders such as <US_SSN_1>, the mapping in memory only) /
 * warn → forward to the provider → analyse the answer with the output rules, restore the request's placeholders →
 * settle the budget to the real usage → record → return.
 *
 * Resolves with the answer once it is complete (streaming: after the last onDelta), recorded; rejects with a
 * GatewayRefusal (already recorded where it could be) when refused or failed, and with nothing else. Build `deps`
 * once per process with `gatewayDeps(resources, handler)`.
 */
export async function exchangeChat(
  deps: GatewayDeps,
  caller: GatewayCaller,
  request: ChatCompletionRequest,
  options: ExchangeOptions,
): Promise<ChatExchangeResult> {
  const streamed = options.streamed ?? options.onDelta !== undefined;
  const prepared = await prepare(deps, caller, {
    endpoint: 'chat.completions',
    streamed,
    model: request.model,
    messages: request.messages,
    parameters: forwardedParameters(request),
    maxTokens: request.max_completion_tokens ?? request.max_tokens ?? null,
    requestId: options.requestId,
    correlationId: options.correlationId,
    conversationId: options.conversationId,
  });
  try {
    return await forward(deps, prepared, request, options, streamed);
  } catch (error) {
    throw await failed(deps, caller, prepared, error, options.signal);
  }
}

/** Records how a forwarded request failed and gives the refusal to throw. */
async function failed(
  deps: GatewayDeps,
  caller: GatewayCaller,
  prepared: Prepared,
  error: unknown,
  signal: AbortSignal,
): Promise<GatewayRefusal> {
  if (error instanceof GatewayRefusal) return error;
  const { requestId, analysisId } = prepared;
  if (prepared.reserved > 0)
    await deps.budget
      .settle(caller.tenantId, caller.clientId, prepared.month, -prepared.reserved)
      .catch(() => undefined);
  const details = { providerStatus: error instanceof ProviderFailure ? error.status : null };
  const [status, type, code, outcome, message] =
    error instanceof ProviderTimeout
      ? ([504, 'timeout', 'provider_timeout', 'provider-timeout', error.message] as const)
      : signal.aborted
        ? ([499, 'cancelled', 'cancelled', 'cancelled', 'The caller went away'] as const)
        : ([
            502,
            'provider_error',
            'provider_error',
            'provider-error',
            error instanceof ProviderFailure ? error.message : 'The AI service failed',
          ] as const);
  try {
    await prepared.record(outcome, details);
  } catch {
    return ledgerFailure(requestId, analysisId);
  }
  return new GatewayRefusal(status, { message, type, param: null, code }, requestId, analysisId);
}

interface ProviderChoice {
  message?: { content?: string | null; tool_calls?: ToolCall[] };
  delta?: {
    content?: string | null;
    tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }>;
  };
  finish_reason?: string | null;
}
interface ProviderAnswer {
  model?: string;
  choices?: ProviderChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

/** OpenAI's finish reasons; anything else a provider writes is not passed on. */
const FINISH_REASONS = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);
const finishReasonOf = (reason: unknown): string =>
  typeof reason === 'string' && FINISH_REASONS.has(reason) ? reason : 'stop';

async function forward(
  deps: GatewayDeps,
  prepared: Prepared,
  request: ChatCompletionRequest,
  options: ExchangeOptions,
  streamed: boolean,
): Promise<ChatExchangeResult> {
  const { route, placeholders, sent } = prepared;
  const body = {
    ...prepared.parameters,
    model: request.model,
    messages: sent,
    ...(streamed ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
  const call = await postToProvider(deps.providerGuard, route.provider, '/chat/completions', body, options.signal);
  try {
    const { response } = call;
    if (!response.ok) throw await providerError(response);
    const filter = AnswerFilter.for(prepared.context, prepared.settings, placeholders);
    let answer = '';
    let received = '';
    let finishReason = 'stop';
    let usage: ProviderAnswer['usage'] = null;
    // The model as asked: a provider's own name for it is its text, not passed on.
    const model = request.model;
    /** Streamed tool calls, gathered by index: their arguments are checked whole, then given in one delta each. */
    const calls: ToolCall[] = [];
    const take = (piece: { received: string; restored: string }) => {
      received += piece.received;
      answer += piece.restored;
      if (piece.restored && options.onDelta) options.onDelta(piece.restored);
    };
    try {
      if (streamed) {
        options.onStart?.();
        for await (const data of sseData(response.body!)) {
          if (data === '[DONE]') break;
          const chunk = JSON.parse(data) as ProviderAnswer;
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices?.[0];
          if (choice?.delta?.content) take(filter.push(choice.delta.content));
          for (const delta of choice?.delta?.tool_calls ?? []) {
            const call = (calls[delta.index ?? Math.max(0, calls.length - 1)] ??= {
              id: '',
              type: 'function',
              function: { name: '', arguments: '' },
            });
            if (delta.id) call.id = delta.id;
            if (delta.function?.name) call.function.name += delta.function.name;
            if (delta.function?.arguments) call.function.arguments += delta.function.arguments;
          }
          if (choice?.finish_reason) finishReason = finishReasonOf(choice.finish_reason);
          if (filter.blocked) break;
        }
        take(filter.end());
      } else {
        const whole = (await response.json()) as ProviderAnswer;
        usage = whole.usage ?? null;
        const choice = whole.choices?.[0];
        if (!choice) throw new ProviderFailure('The AI service answered no choice', response.status);
        take(filter.end(choice.message?.content ?? ''));
        finishReason = finishReasonOf(choice.finish_reason);
        calls.push(...(choice.message?.tool_calls ?? []));
      }
    } catch (error) {
      if (error instanceof ProviderFailure || call.timedOut() || options.signal.aborted) throw error;
      // Never the parser's message: it quotes the provider's text, which nothing has analysed.
      throw new ProviderFailure("The AI service's answer broke off or was not OpenAI's format", response.status);
    }
    if (call.timedOut())
      throw new ProviderTimeout(`The AI service did not answer within ${route.provider.timeoutMs} ms`);
    // Tool-call arguments the model wrote: the output policy and the restoration, as for the answer's text.
    const toolCalls = filter.blocked
      ? []
      : calls.filter(Boolean).map((tool, index) => {
          const args = AnswerFilter.for(prepared.context, prepared.settings, placeholders);
          // Its id and name are the provider's words too: checked with the arguments, in one text.
          const checked = args.end(`${tool.id}\n${tool.function.name}\n${tool.function.arguments}`);
          filter.findings.push(...args.findings);
          if (args.blocked) filter.blocked = true;
          const [id = '', name = '', ...rest] = checked.restored.split('\n');
          const restored = { id, type: 'function' as const, function: { name, arguments: rest.join('\n') } };
          if (streamed && options.onToolCallDelta) options.onToolCallDelta({ index, ...restored });
          return restored;
        });
    const output = countFindings(filter.findings);
    const counted: ExchangeUsage =
      usage && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number'
        ? { tokensIn: usage.prompt_tokens, tokensOut: usage.completion_tokens, source: 'provider' }
        : {
            tokensIn: countTokens(JSON.stringify(sent.map((m) => m.content))),
            tokensOut: countTokens(received),
            source: 'counted',
          };
    await settle(deps, prepared, counted);
    const findings = { input: countFindings(prepared.inputFindings), output };
    try {
      await prepared.record(filter.blocked ? 'blocked' : 'completed', {
        providerStatus: response.status,
        tokensIn: counted.tokensIn,
        tokensOut: counted.tokensOut,
        tokenSource: counted.source,
        findings,
      });
    } catch {
      // Fail closed: an answer whose request cannot be recorded is not given (a stream ends with an error).
      throw ledgerFailure(prepared.requestId, prepared.analysisId);
    }
    if (filter.blocked) {
      finishReason = 'content_filter';
      // Whole, nothing of it was shown: refused. Streamed, what was safe went out; the answer ends here.
      if (!streamed)
        throw new GatewayRefusal(
          400,
          {
            message: `The AI service's answer was blocked by the client's output policy (analysis ${prepared.analysisId})`,
            type: 'policy_violation',
            param: null,
            code: 'policy_violation',
            analysis_id: prepared.analysisId,
            reasons: output.filter((o) => o.action === 'block').map((o) => `${o.entity} in the answer → block`),
          },
          prepared.requestId,
          prepared.analysisId,
        );
    }
    return {
      requestId: prepared.requestId,
      analysisId: prepared.analysisId,
      decision: prepared.decision,
      aiServiceId: route.aiServiceId,
      model,
      sent,
      answerAsReceived: received,
      answer,
      toolCalls: toolCalls.length > 0 ? toolCalls : null,
      usage: counted,
      finishReason,
    };
  } finally {
    call.done();
  }
}

/** Settles the reservation to the real usage. */
async function settle(deps: GatewayDeps, prepared: Prepared, usage: ExchangeUsage): Promise<void> {
  if (prepared.reserved === 0) return;
  const { tenantId, clientId } = prepared.caller;
  await deps.budget
    .settle(tenantId, clientId, prepared.month, usage.tokensIn + usage.tokensOut - prepared.reserved)
    .catch(() => undefined);
}
