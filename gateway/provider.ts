import type { ProviderSettings } from '../domain/ai-governance/ai-service.js';
import type { OutboundGuard } from '../infrastructure/outbound/guard.js';
import { vettedFetch } from '../infrastructure/outbound/vetted-fetch.js';

/** The provider did not answer in time (its timeoutMs, for the whole exchange). */
export class ProviderTimeout extends Error {
  override readonly name = 'ProviderTimeout';
}

/** The provider answered with an error status, or could not be reached, or cut the connection. */
export class ProviderFailure extends Error {
  override readonly name = 'ProviderFailure';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface ProviderCall {
  response: Response;
  /** Whether our timer (not the caller) stopped the exchange. */
  timedOut(): boolean;
  /** Stops the timer once the exchange is over. */
  done(): void;
}

/**
 * POSTs a body to the provider (its baseUrl + path) with its API key as a Bearer token, through the outbound guard
 * (its host vetted again now, and the connection pinned to the vetted addresses). The timeout covers the whole
 * exchange, the streamed body included; the caller's signal stops it too.
 */
export async function postToProvider(
  guard: OutboundGuard,
  provider: ProviderSettings,
  path: string,
  body: unknown,
  signal: AbortSignal,
): Promise<ProviderCall> {
  const timer = new AbortController();
  let timedOut = false;
  const clock = setTimeout(() => {
    timedOut = true;
    timer.abort(new ProviderTimeout(`The AI service did not answer within ${provider.timeoutMs} ms`));
  }, provider.timeoutMs);
  const done = () => clearTimeout(clock);
  try {
    const response = await vettedFetch(guard, `${provider.baseUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(provider.apiKey ? { authorization: `Bearer ${provider.apiKey}` } : {}),
      },
      body: JSON.stringify(body),
      // Our own timer decides (so a timeout is told apart); this one is only a backstop.
      timeoutMs: provider.timeoutMs + 5_000,
      signal: AbortSignal.any([timer.signal, signal]),
    });
    return { response, timedOut: () => timedOut, done };
  } catch (error) {
    done();
    if (timedOut) throw new ProviderTimeout(`The AI service did not answer within ${provider.timeoutMs} ms`);
    if (signal.aborted) throw error;
    // The reason names the host or the refusal, never the key (it travels only in a header).
    throw new ProviderFailure(`The AI service could not be reached (${(error as Error).message})`, null);
  }
}

/**
 * The provider's error answer, as its status only: its message, type and code are the provider's words, which
 * nothing has analysed, and may quote the prompt, a (masked) key, or anything else.
 */
export async function providerError(response: Response): Promise<ProviderFailure> {
  await response.body?.cancel().catch(() => undefined);
  return new ProviderFailure(`The AI service answered ${response.status}`, response.status);
}

/** The events of an SSE body (`data: …` lines, blank-line separated), as their data strings. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.search(/\r?\n\r?\n/); end !== -1; end = buffer.search(/\r?\n\r?\n/)) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield data;
    }
  }
  buffer += decoder.decode();
  if (buffer.trim()) throw new ProviderFailure('The AI service cut its stream off mid-event', null);
}
