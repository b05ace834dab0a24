import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ZodError, z } from 'zod';
import { aiServiceDecider, aiServiceStream } from '../domain/ai-governance/ai-service.js';
import { clientAiDecider, clientAiStream } from '../domain/ai-governance/client-ai-governance.js';
import type { Logger } from '../infrastructure/logging/logger.js';
import type { GatewayCaller } from './caller.js';
import type { GatewayDeps } from './deps.js';
import { exchangeEmbeddings } from './embeddings.js';
import { exchangeChat } from './exchange.js';
import { authenticate } from './keys.js';
import { standingRead } from './caller.js';
import { MAX_PARAMETER_DEPTH } from './messages.js';
import { ChatCompletionBody, depthOf, EmbeddingsBody, unsupportedParameter } from './schemas.js';
import { GatewayRefusal, type ChatCompletionRequest, type OpenAiError } from './types.js';

const error = (message: string, type: string, code: string | null, param: string | null = null): OpenAiError => ({
  message,
  type,
  param,
  code,
});

function send(res: Response, status: number, body: OpenAiError, retryAfter?: number, requestId?: string | null): void {
  if (res.headersSent) return;
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  if (requestId) res.setHeader('x-request-id', requestId);
  res.status(status).json({ error: body });
}

/** The issue to name: inside a union that failed (however nested), an unknown member of one of its alternatives. */
function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const unknownIn = (issue: z.core.$ZodIssue): z.core.$ZodIssue | null => {
    if (issue.code === 'unrecognized_keys') return issue;
    if (issue.code !== 'invalid_union') return null;
    for (const alternative of issue.errors)
      for (const inner of alternative) {
        const found = unknownIn(inner);
        if (found) return { ...found, path: [...issue.path, ...found.path] };
      }
    return null;
  };
  return unknownIn(issues[0]!) ?? issues[0]!;
}

function invalid(issues: ZodError): OpenAiError {
  const issue = firstIssue(issues.issues);
  if (issue.code === 'unrecognized_keys') {
    // A member the gateway does not know would reach the provider unanalysed: refused, by its full name.
    const param = [...issue.path, issue.keys[0]!].join('.');
    return error(
      `${param}: the gateway does not forward this member (it would reach the AI service unanalysed)`,
      'invalid_request_error',
      'unsupported_parameter',
      param,
    );
  }
  const param = issue.path.join('.') || null;
  return error(`${param ?? 'body'}: ${issue.message}`, 'invalid_request_error', 'invalid_request', param);
}

/** Refuses a body nested deeper than any OpenAI request needs, before anything walks it. */
function tooDeep(body: unknown): OpenAiError | null {
  return depthOf(body, MAX_PARAMETER_DEPTH + 8) > MAX_PARAMETER_DEPTH + 8
    ? error(
        `The body nests deeper than ${MAX_PARAMETER_DEPTH + 8} levels`,
        'invalid_request_error',
        'invalid_request',
        null,
      )
    : null;
}

const callerOf = (res: Response): GatewayCaller => res.locals.gatewayCaller as GatewayCaller;

/** Stops the provider call when the caller goes away before its answer is complete. */
function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('The caller went away'));
  });
  return controller.signal;
}

/**
 * The OpenAI-compatible gateway, mounted at /gateway/v1 outside the ledger's API: OpenAI's paths, bodies, streaming
 * and errors (`{ error: { message, type, param, code } }`), so an OpenAI SDK needs only its base URL and key changed.
 * Request bodies are never logged (the request log has method and path only; the key travels in a header it never
 * logs).
 */
export function gatewayRouter(deps: GatewayDeps, logger: Logger): express.Router {
  const router = express.Router();
  const { config } = deps.resources;
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(
    express.json({
      // A prompt of PROMPT_MAX_CHARS characters (at most 4 bytes each, escaped in JSON up to 6) and the rest.
      limit: config.PROMPT_MAX_CHARS * 6 + 256 * 1024,
      strict: true,
      type: ['application/json', 'application/*+json'],
    }),
  );

  router.use((req, res, next) => {
    const header = req.headers.authorization ?? '';
    const key = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const refuse = () =>
      send(res, 401, error('Incorrect or revoked API key provided.', 'invalid_request_error', 'invalid_api_key'));
    if (!key) return refuse();
    authenticate(deps.handler, key, deps.keyHints).then(
      (authenticated) => {
        if (!authenticated) return refuse();
        const { caller, standing } = authenticated;
        standingRead.set(caller, standing);
        res.locals.gatewayCaller = caller;
        next();
      },
      (failure: unknown) => next(failure),
    );
  });

  router.post('/chat/completions', (req, res, next) => {
    const deep = tooDeep(req.body);
    if (deep) return send(res, 400, deep);
    const parsed = ChatCompletionBody.safeParse(req.body);
    if (!parsed.success) return send(res, 400, invalid(parsed.error));
    const unsupported = unsupportedParameter(parsed.data);
    if (unsupported)
      return send(
        res,
        400,
        error(
          `The gateway does not forward the parameter "${unsupported}"`,
          'invalid_request_error',
          'unsupported_parameter',
          unsupported,
        ),
      );
    const request = parsed.data as unknown as ChatCompletionRequest;
    const streamed = request.stream === true;
    const requestId = randomUUID();
    // The SDK shows it as the answer's (or the error's) request id: the GatewayRequestRecorded's requestId.
    res.setHeader('x-request-id', requestId);
    const id = `chatcmpl-${requestId}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices, ...extra })}\n\n`,
      );
    const signal = abortOnClose(res);
    const delta = (content: Record<string, unknown>) => chunk([{ index: 0, delta: content, finish_reason: null }]);
    exchangeChat(deps, callerOf(res), request, {
      signal,
      streamed,
      requestId,
      correlationId: String(req.id),
      ...(streamed
        ? {
            onStart: () => {
              res.writeHead(200, {
                'content-type': 'text/event-stream; charset=utf-8',
                'cache-control': 'no-store',
                connection: 'keep-alive',
                'x-accel-buffering': 'no',
              });
              delta({ role: 'assistant', content: '' });
            },
            onDelta: (content: string) => delta({ content }),
            onToolCallDelta: (call: unknown) => delta({ tool_calls: [call] }),
          }
        : {}),
    }).then(
      (result) => {
        const usage = {
          prompt_tokens: result.usage.tokensIn,
          completion_tokens: result.usage.tokensOut,
          total_tokens: result.usage.tokensIn + result.usage.tokensOut,
        };
        if (streamed) {
          chunk([{ index: 0, delta: {}, finish_reason: result.finishReason }]);
          if (request.stream_options?.include_usage) chunk([], { usage });
          res.end('data: [DONE]\n\n');
          return;
        }
        res.json({
          id,
          object: 'chat.completion',
          created,
          model: result.model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: result.toolCalls && result.answer === '' ? null : result.answer,
                ...(result.toolCalls ? { tool_calls: result.toolCalls } : {}),
                refusal: null,
              },
              finish_reason: result.finishReason,
              logprobs: null,
            },
          ],
          usage,
        });
      },
      (failure: unknown) => {
        if (res.headersSent && failure instanceof GatewayRefusal) {
          // Mid-stream: the stream ends with an error event, as OpenAI's does (the SDK raises it).
          res.end(`data: ${JSON.stringify({ error: failure.error })}\n\n`);
          return;
        }
        next(failure);
      },
    );
  });

  router.post('/embeddings', (req, res, next) => {
    const deep = tooDeep(req.body);
    if (deep) return send(res, 400, deep);
    const parsed = EmbeddingsBody.safeParse(req.body);
    if (!parsed.success) return send(res, 400, invalid(parsed.error));
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    exchangeEmbeddings(deps, callerOf(res), parsed.data, {
      requestId,
      signal: abortOnClose(res),
      correlationId: String(req.id),
    }).then(({ body }) => void res.json(body), next);
  });

  router.get('/models', (_req, res, next) => {
    const caller = callerOf(res);
    modelsFor(deps, caller).then((data) => void res.json({ object: 'list', data }), next);
  });

  router.get('/models/:model', (req, res, next) => {
    modelsFor(deps, callerOf(res)).then((data) => {
      const model = data.find((m) => m.id === req.params.model);
      if (model) return void res.json(model);
      send(
        res,
        404,
        error(
          `The model "${req.params.model}" does not exist or you do not have access to it.`,
          'invalid_request_error',
          'model_not_found',
          'model',
        ),
      );
    }, next);
  });

  router.use((req, res) =>
    send(
      res,
      404,
      error(`Unknown request URL: ${req.method} ${req.baseUrl}${req.path}`, 'invalid_request_error', 'unknown_url'),
    ),
  );

  router.use((failure: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (failure instanceof GatewayRefusal)
      return send(res, failure.status, failure.error, failure.retryAfter, failure.requestId);
    const status = (failure as { status?: number; type?: string }).status;
    if ((failure as { type?: string }).type === 'entity.parse.failed')
      return send(res, 400, error('The body is not valid JSON', 'invalid_request_error', 'invalid_json'));
    if ((failure as { type?: string }).type === 'entity.too.large')
      return send(res, 413, error('The body is too large', 'invalid_request_error', 'request_too_large'));
    if (status && status >= 400 && status < 500)
      return send(res, status, error((failure as Error).message, 'invalid_request_error', null));
    // Never the body, never the key: the error's name and message, with the request's id.
    logger.error({ correlationId: String(req.id), err: { name: (failure as Error).name } }, 'gateway request failed');
    send(
      res,
      500,
      error('The gateway failed; nothing more was sent to the AI service.', 'server_error', 'internal_error'),
    );
  });
  return router;
}

/** The models of the approved services the caller may use that have a provider, as OpenAI lists models. */
async function modelsFor(deps: GatewayDeps, caller: GatewayCaller) {
  const { handler } = deps;
  const governance = await handler.load({ decider: clientAiDecider }, clientAiStream(caller.tenantId, caller.clientId));
  const ids = Object.entries(governance.state.services)
    .filter(([id, status]) => status === 'approved' && (caller.aiServiceIds?.includes(id) ?? true))
    .map(([id]) => id);
  const services = await Promise.all(
    ids.map((id) => handler.load({ decider: aiServiceDecider }, aiServiceStream(caller.tenantId, id))),
  );
  const models = new Map<string, { id: string; object: 'model'; created: number; owned_by: string }>();
  for (const { state } of services) {
    if (!state.profile || !state.provider) continue;
    for (const model of state.profile.models)
      if (!models.has(model))
        models.set(model, { id: model, object: 'model', created: 0, owned_by: state.profile.vendor });
  }
  return [...models.values()].sort((a, b) => a.id.localeCompare(b.id));
}
