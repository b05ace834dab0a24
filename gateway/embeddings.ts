import type { GatewayCaller } from './caller.js';
import type { GatewayDeps } from './deps.js';
import { countTokens } from './limits.js';
import { countFindings } from './output.js';
import { ledgerFailure, prepare } from './pipeline.js';
import { postToProvider, providerError, ProviderFailure, ProviderTimeout } from './provider.js';
import { GatewayRefusal, type ChatTurn } from './types.js';

interface ProviderEmbeddings {
  data?: Array<{ index?: unknown; embedding?: unknown }>;
  usage?: { prompt_tokens?: number };
}

/**
 * The embeddings answer as the caller gets it: OpenAI's list, rebuilt from the vectors alone (numbers, or base64
 * strings with encoding_format base64) — any other member a provider writes is its text, unanalysed, and dropped.
 */
function embeddingsOf(given: ProviderEmbeddings, model: string) {
  const data = (Array.isArray(given.data) ? given.data : []).map((item, i) => {
    const vector = item.embedding;
    const valid =
      (Array.isArray(vector) && vector.every((value) => typeof value === 'number')) ||
      (typeof vector === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(vector));
    if (!valid) throw new ProviderFailure("The AI service's answer was not OpenAI's format", null);
    return { object: 'embedding' as const, index: typeof item.index === 'number' ? item.index : i, embedding: vector };
  });
  const tokens = typeof given.usage?.prompt_tokens === 'number' ? given.usage.prompt_tokens : undefined;
  return {
    object: 'list' as const,
    data,
    model,
    ...(tokens === undefined ? {} : { usage: { prompt_tokens: tokens, total_tokens: tokens } }),
  };
}

export interface EmbeddingsRequest {
  model: string;
  input: string | string[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
}

/**
 * Embeddings through the same steps as a chat: each input is analysed (one analysis for all of them), a block
 * refused, redacted values replaced by placeholders, and what is embedded is the redacted text. Vectors are not
 * text: there is no output analysis. Answers the provider's body as it came (an OpenAI embeddings list).
 */
export async function exchangeEmbeddings(
  deps: GatewayDeps,
  caller: GatewayCaller,
  request: EmbeddingsRequest,
  options: { signal: AbortSignal; correlationId?: string; requestId?: string },
): Promise<{ requestId: string; analysisId: string; body: unknown }> {
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  const messages: ChatTurn[] = inputs.map((content) => ({ role: 'user', content }));
  const prepared = await prepare(deps, caller, {
    endpoint: 'embeddings',
    streamed: false,
    model: request.model,
    messages,
    maxTokens: 0,
    requestId: options.requestId,
    correlationId: options.correlationId,
  });
  const input = prepared.sent.map((m) => m.content as string);
  const body = {
    model: request.model,
    input: typeof request.input === 'string' ? input[0] : input,
    ...(request.encoding_format ? { encoding_format: request.encoding_format } : {}),
    ...(request.dimensions ? { dimensions: request.dimensions } : {}),
  };
  const findings = { input: countFindings(prepared.inputFindings), output: [] };
  let call;
  try {
    call = await postToProvider(deps.providerGuard, prepared.route.provider, '/embeddings', body, options.signal);
    if (!call.response.ok) throw await providerError(call.response);
    const given = (await call.response.json().catch(() => {
      throw new ProviderFailure("The AI service's answer was not OpenAI's format", call!.response.status);
    })) as ProviderEmbeddings;
    const answer = embeddingsOf(given, request.model);
    const tokensIn = given.usage?.prompt_tokens;
    const tokens = typeof tokensIn === 'number' ? tokensIn : countTokens(input.join(''));
    if (prepared.reserved > 0)
      await deps.budget
        .settle(caller.tenantId, caller.clientId, prepared.month, tokens - prepared.reserved)
        .catch(() => undefined);
    try {
      await prepared.record('completed', {
        providerStatus: call.response.status,
        tokensIn: tokens,
        tokensOut: 0,
        tokenSource: typeof tokensIn === 'number' ? 'provider' : 'counted',
        findings,
      });
    } catch {
      throw ledgerFailure(prepared.requestId, prepared.analysisId);
    }
    return { requestId: prepared.requestId, analysisId: prepared.analysisId, body: answer };
  } catch (error) {
    if (error instanceof GatewayRefusal) throw error;
    if (prepared.reserved > 0)
      await deps.budget
        .settle(caller.tenantId, caller.clientId, prepared.month, -prepared.reserved)
        .catch(() => undefined);
    const timeout = error instanceof ProviderTimeout || call?.timedOut();
    const status = error instanceof ProviderFailure ? error.status : null;
    try {
      await prepared.record(timeout ? 'provider-timeout' : 'provider-error', { providerStatus: status, findings });
    } catch {
      throw ledgerFailure(prepared.requestId, prepared.analysisId);
    }
    throw new GatewayRefusal(
      timeout ? 504 : 502,
      {
        // The ledger's own words only: a parser's message would quote the provider's text.
        message: timeout
          ? (error as Error).message
          : error instanceof ProviderFailure
            ? error.message
            : 'The AI service could not be reached',
        type: timeout ? 'timeout' : 'provider_error',
        param: null,
        code: timeout ? 'provider_timeout' : 'provider_error',
      },
      prepared.requestId,
      prepared.analysisId,
    );
  } finally {
    call?.done();
  }
}
