import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { FRAMEWORKS, type FrameworkId } from '../../domain/frameworks/index.js';
import { TEMPLATE_GENERATOR, generatePolicy, type CompanyContext } from '../../domain/policies/generator.js';
import {
  currentVersion,
  policyDecider,
  type Generator,
  type PolicyCommand,
  type PolicyEvent,
  type PolicyState,
} from '../../domain/policies/policy.js';
import { authOf, requirePermission } from '../../infrastructure/http/authentication.js';
import { canonicalJson, sha256Hex } from '../../infrastructure/hashing.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { DrafterUnavailableError, type PolicyDrafter } from '../../infrastructure/policy-drafting/openai-compatible.js';
import { commandContext } from '../http/context.js';
import { loadScoped, requireActiveClient } from '../http/scoped.js';
import type { Aggregate, CommandHandler, CommandResult } from '../http/command-handler.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import { markdownToPdf } from './pdf.js';

const policies: Aggregate<PolicyCommand, PolicyEvent, PolicyState> = { decider: policyDecider };
export const policyStream = (tenantId: string, policyId: string): string => `${tenantId}/policy/${policyId}`;

/** Mounted at /policies. */
export function policyRoutes(handler: CommandHandler, drafter?: PolicyDrafter): Router {
  const router = express.Router();

  const visiblePolicy = (req: Request, res: Response): Promise<PolicyState> =>
    loadScoped(handler, policies, policyStream(authOf(res).tenantId, String(req.params.id)), authOf(res), 'policy');

  const answer = (res: Response, result: CommandResult<PolicyEvent, PolicyState>, status = 200) => {
    const version = currentVersion(result.state)!;
    sendCommandResult(
      res,
      status,
      { policyId: result.state.policyId, version: version.version, status: result.state.status },
      result,
    );
  };

  router.post('/generate', requirePermission('policy:write'), async (req, res) => {
    const actor = authOf(res);
    const { clientId, frameworkId, companyContext } = req.body as {
      clientId: string;
      frameworkId: FrameworkId;
      companyContext: CompanyContext;
    };
    await requireActiveClient(handler, actor, clientId);
    const catalog = FRAMEWORKS[frameworkId];
    const generated = generatePolicy(catalog, companyContext);
    const inputHash = sha256Hex(canonicalJson({ frameworkId, catalogVersion: catalog.version, companyContext }) ?? '');
    let content = generated.content;
    let generator: Generator = { ...TEMPLATE_GENERATOR, inputHash };
    if (drafter) {
      // The LLM rewrites the template's draft; a failure is reported, never silently replaced by the template.
      content = await drafter.draft(generated.content, companyContext).catch((error: unknown) => {
        if (error instanceof DrafterUnavailableError)
          throw new HttpProblem(502, 'drafter-unavailable', 'Policy drafter unavailable', error.message);
        throw error;
      });
      generator = { name: drafter.name, version: drafter.version, inputHash };
    }
    const policyId = randomUUID();
    const result = await handler.execute(
      policies,
      policyStream(actor.tenantId, policyId),
      {
        type: 'GeneratePolicy',
        policyId,
        clientId,
        frameworkId,
        catalogVersion: catalog.version,
        title: generated.title,
        content,
        contentHash: sha256Hex(content),
        generator,
        actorId: actor.userId,
      },
      commandContext(req, res),
      { expect: 'new' },
    );
    res.setHeader('Location', `/api/v1/policies/${policyId}`);
    answer(res, result, 201);
  });

  router.put('/:id', requirePermission('policy:write'), async (req, res) => {
    await visiblePolicy(req, res);
    const { content } = req.body as { content: string };
    const result = await handler.execute(
      policies,
      policyStream(authOf(res).tenantId, String(req.params.id)),
      { type: 'EditPolicy', content, contentHash: sha256Hex(content), actorId: authOf(res).userId },
      commandContext(req, res),
      { ifMatch: ifMatchOf(req) },
    );
    answer(res, result);
  });

  const transitions = {
    submit: ['policy:write', 'SubmitPolicy'],
    approve: ['policy:approve', 'ApprovePolicy'],
    publish: ['policy:approve', 'PublishPolicy'],
  } as const;
  for (const [action, [permission, type]] of Object.entries(transitions)) {
    router.post(`/:id/${action}`, requirePermission(permission), async (req, res) => {
      await visiblePolicy(req, res);
      const comment = (req.body as { comment?: string } | undefined)?.comment ?? null;
      const result = await handler.execute(
        policies,
        policyStream(authOf(res).tenantId, String(req.params.id)),
        { type, actorId: authOf(res).userId, comment },
        commandContext(req, res),
        {
          ifMatch: ifMatchOf(req),
        },
      );
      answer(res, result);
    });
  }

  router.delete('/:id', requirePermission('policy:approve'), async (req, res) => {
    await visiblePolicy(req, res);
    const result = await handler.execute(
      policies,
      policyStream(authOf(res).tenantId, String(req.params.id)),
      { type: 'RetirePolicy', actorId: authOf(res).userId },
      commandContext(req, res),
      {
        ifMatch: ifMatchOf(req),
      },
    );
    answer(res, result);
  });

  router.post('/:id/export', requirePermission('policy:read'), async (req, res) => {
    const state = await visiblePolicy(req, res);
    const { format, version: wanted } = req.body as { format: 'pdf' | 'markdown'; version?: number };
    const version = wanted === undefined ? currentVersion(state)! : state.versions.find((v) => v.version === wanted);
    if (!version)
      throw new HttpProblem(404, 'not-found', 'Not found', `The policy has no version ${wanted}.`, {
        errors: [{ field: 'version', message: 'no such version' }],
      });
    const file = `policy-${state.policyId}-v${version.version}`;
    res.setHeader('X-Content-SHA256', version.contentHash);
    if (format === 'markdown') {
      res.type('text/markdown; charset=utf-8').attachment(`${file}.md`).send(version.content);
      return;
    }
    const pdf = await markdownToPdf(version.content, {
      title: state.title!,
      footer: `Version ${version.version} · status ${state.status} · SHA-256 of the content ${version.contentHash}`,
    });
    res.type('application/pdf').attachment(`${file}.pdf`).send(pdf);
  });

  return router;
}
