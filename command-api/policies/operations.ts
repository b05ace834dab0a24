import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { z } from 'zod';
import { FRAMEWORK_IDS, FRAMEWORKS } from '../../domain/frameworks/index.js';
import {
  TEMPLATE_GENERATOR,
  generatePolicy,
  type CompanyContext as PolicyContext,
} from '../../domain/policies/generator.js';
import {
  currentVersion,
  POLICY_STATUSES,
  policyDecider,
  policyStream,
  type Generator,
  type PolicyCommand,
  type PolicyEvent,
  type PolicyState,
} from '../../domain/policies/policy.js';
import { userStream } from '../../domain/accounts/user.js';
import { aiServiceDecider, aiServiceStream } from '../../domain/ai-governance/ai-service.js';
import { clientAiDecider, clientAiStream } from '../../domain/ai-governance/client-ai-governance.js';
import { ERASED } from '../../infrastructure/crypto-shredding/personal-data.js';
import { canonicalJson, sha256Hex } from '../../infrastructure/hashing.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem, notFound } from '../../infrastructure/http/problem.js';
import { DrafterUnavailableError, type PolicyDrafter } from '../../infrastructure/policy-drafting/openai-compatible.js';
import type { Aggregate, CommandHandler, CommandResult } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import { loadScoped, requireActiveClient } from '../http/scoped.js';
import { users } from '../auth/accounts.js';
import { markdownToPdf } from './pdf.js';

const policies: Aggregate<PolicyCommand, PolicyEvent, PolicyState> = { decider: policyDecider };

const PolicyPath = z.object({ id: Id });
const PolicyAnswer = commandAnswer(z.object({ policyId: Id, version: z.int(), status: z.enum(POLICY_STATUSES) }));
const CompanyContext = z
  .strictObject({
    name: z.string().min(1).max(200).optional().describe("Defaults to the client's name"),
    industry: z.string().min(1).max(100).optional().describe("Defaults to the client's industry"),
    size: z.string().min(1).max(20).optional().describe("Defaults to the client's size"),
    dataTypes: z
      .array(z.string().min(1).max(50))
      .max(30)
      .optional()
      .describe('Kinds of data handled; none if left out'),
    aiTools: z
      .array(z.string().min(1).max(100))
      .max(50)
      .optional()
      .describe('AI tools in use; if left out, the AI services approved for the client when the policy is generated'),
    jurisdictions: z
      .array(z.string().min(2).max(10))
      .max(30)
      .optional()
      .describe('Where it operates; none if left out'),
  })
  .describe(
    "What the policy is written for; name, industry and size default to the client's record, aiTools to its approved AI services",
  );
const Review = z.strictObject({ comment: z.string().max(2000).optional() }).optional();

const refusals = {
  404: { description: 'No such policy in your tenant', problem: true },
  409: { description: 'Not allowed in the current status, or changed concurrently', problem: true },
  410: { description: 'Retired', problem: true },
  412: { description: 'Stale If-Match', problem: true },
  422: {
    description: 'The command cannot be carried out, or the Idempotency-Key was used for another request',
    problem: true,
  },
} as const;

/** The policy as the caller may see it: another tenant's or another client's is "not found". */
const visiblePolicy = (handler: CommandHandler, res: Response, policyId: string): Promise<PolicyState> =>
  loadScoped(handler, policies, policyStream(authOf(res).tenantId, policyId), authOf(res), 'policy');

/** When a step of a version's review was recorded, and by whom: the name as the user's record has it, or "[erased]". */
interface ReviewStep {
  by: string;
  at: string;
}

/** Who approved and who published a version, and when (the last approval of that version, its publication). */
async function reviewOf(
  handler: CommandHandler,
  tenantId: string,
  policyId: string,
  version: number,
): Promise<{ approved?: ReviewStep; published?: ReviewStep }> {
  const events = await handler.recorded(policyStream(tenantId, policyId));
  const names = new Map<string, Promise<string>>();
  const nameOf = (userId: string): Promise<string> => {
    let name = names.get(userId);
    if (!name) {
      name = handler
        .load(users, userStream(tenantId, userId))
        .then(({ state }) => (state.status === 'erased' ? ERASED : (state.name ?? state.email ?? userId)));
      names.set(userId, name);
    }
    return name;
  };
  const step = async (type: string, actorOf: (data: Record<string, unknown>) => unknown) => {
    const event = events.findLast((e) => e.type === type && (e.data as { version?: number }).version === version);
    if (!event) return undefined;
    return { by: await nameOf(String(actorOf(event.data as Record<string, unknown>))), at: event.metadata.recordedAt };
  };
  const approved = await step('PolicyApproved', (data) => data.approvedBy);
  const published = await step('PolicyPublished', (data) => data.publishedBy);
  return { ...(approved ? { approved } : {}), ...(published ? { published } : {}) };
}

/** The names of the AI services approved (and not revoked) for a client now, as its registry has them, by name. */
async function approvedAiTools(handler: CommandHandler, tenantId: string, clientId: string): Promise<string[]> {
  const { state } = await handler.load({ decider: clientAiDecider }, clientAiStream(tenantId, clientId));
  const approved = Object.keys(state.services).filter((id) => state.services[id] === 'approved');
  const services = await Promise.all(
    approved.map((id) => handler.load({ decider: aiServiceDecider }, aiServiceStream(tenantId, id))),
  );
  const names = services.flatMap(({ state: service }) => (service.profile ? [service.profile.name] : []));
  return [...new Set(names)].sort((a, b) => a.localeCompare(b, 'en'));
}

/** "2026-03-01 14:05 UTC": a moment as a reader of the document expects it. */
const moment = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** Every policy command answers with the policy's id, its current version and its status. */
function answer(res: Response, result: CommandResult<PolicyEvent, PolicyState>, status = 200): void {
  const version = currentVersion(result.state)!;
  sendCommandResult(
    res,
    status,
    { policyId: result.state.policyId, version: version.version, status: result.state.status },
    result,
  );
}

/** Generate, edit, review, publish and retire policies, and export a version as a file. */
export function policyCommands(handler: CommandHandler, drafter?: PolicyDrafter) {
  const transition = (
    action: 'submit' | 'approve' | 'publish',
    type: 'SubmitPolicy' | 'ApprovePolicy' | 'PublishPolicy',
    permission: 'policy:write' | 'policy:approve',
    summary: string,
  ) =>
    operation({
      operationId: `${action}Policy`,
      method: 'post',
      path: `/policies/{id}/${action}`,
      tags: ['policies'],
      summary,
      access: { permission },
      headers: ['Idempotency-Key', 'If-Match'],
      params: PolicyPath,
      body: Review,
      answers: { 200: { description: 'Done', schema: PolicyAnswer }, ...refusals },
      async handler(req, res) {
        const policyId = req.params.id;
        await visiblePolicy(handler, res, policyId);
        const result = await handler.execute(
          policies,
          policyStream(authOf(res).tenantId, policyId),
          { type, actorId: authOf(res).userId, comment: req.body?.comment ?? null },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        answer(res, result);
      },
    });

  return [
    operation({
      operationId: 'generatePolicy',
      method: 'post',
      path: '/policies/generate',
      tags: ['policies'],
      summary: 'Generate a policy for a client from a framework and the company context (a first draft, version 1)',
      access: { permission: 'policy:write' },
      headers: ['Idempotency-Key'],
      body: z.strictObject({
        clientId: Id,
        frameworkId: z.enum(FRAMEWORK_IDS),
        companyContext: CompanyContext.optional(),
      }),
      answers: {
        201: { description: 'Generated', schema: PolicyAnswer },
        404: { description: 'No such active client', problem: true },
        422: refusals[422],
        502: { description: 'The policy drafter (POLICY_LLM_URL) is unavailable', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { clientId, frameworkId } = req.body;
        const client = await requireActiveClient(handler, actor, clientId);
        // What the client's record already says is not asked again; what the request says wins.
        const given = req.body.companyContext ?? {};
        const companyContext: PolicyContext = {
          name: given.name ?? client.profile!.name,
          industry: given.industry ?? client.profile!.industry,
          size: given.size ?? client.profile!.size,
          dataTypes: given.dataTypes ?? [],
          aiTools: given.aiTools ?? (await approvedAiTools(handler, actor.tenantId, clientId)),
          jurisdictions: given.jurisdictions ?? [],
        };
        const catalog = FRAMEWORKS[frameworkId];
        const generated = generatePolicy(catalog, companyContext);
        const inputHash = sha256Hex(
          canonicalJson({ frameworkId, catalogVersion: catalog.version, companyContext }) ?? '',
        );
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
      },
    }),
    operation({
      operationId: 'editPolicy',
      method: 'put',
      path: '/policies/{id}',
      tags: ['policies'],
      summary: 'Edit a policy: a new draft version, which needs approval before it is published',
      access: { permission: 'policy:write' },
      headers: ['Idempotency-Key', 'If-Match'],
      params: PolicyPath,
      body: z.strictObject({ content: z.string().min(1).max(200_000) }),
      answers: { 200: { description: 'Edited', schema: PolicyAnswer }, ...refusals },
      async handler(req, res) {
        const policyId = req.params.id;
        await visiblePolicy(handler, res, policyId);
        const { content } = req.body;
        const result = await handler.execute(
          policies,
          policyStream(authOf(res).tenantId, policyId),
          { type: 'EditPolicy', content, contentHash: sha256Hex(content), actorId: authOf(res).userId },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        answer(res, result);
      },
    }),
    transition('submit', 'SubmitPolicy', 'policy:write', 'Submit the current draft for approval'),
    transition(
      'approve',
      'ApprovePolicy',
      'policy:approve',
      'Approve the submitted version (not your own draft); records the hash of the exact content',
    ),
    transition('publish', 'PublishPolicy', 'policy:approve', 'Publish the approved version'),
    operation({
      operationId: 'retirePolicy',
      method: 'delete',
      path: '/policies/{id}',
      tags: ['policies'],
      summary: 'Retire a policy; its history stays',
      access: { permission: 'policy:approve' },
      headers: ['Idempotency-Key', 'If-Match'],
      params: PolicyPath,
      answers: {
        200: { description: 'Retired', schema: PolicyAnswer },
        ...refusals,
        410: { description: 'Already retired', problem: true },
      },
      async handler(req, res) {
        const policyId = req.params.id;
        await visiblePolicy(handler, res, policyId);
        const result = await handler.execute(
          policies,
          policyStream(authOf(res).tenantId, policyId),
          { type: 'RetirePolicy', actorId: authOf(res).userId },
          commandContext(req, res),
          { ifMatch: ifMatchOf(req) },
        );
        answer(res, result);
      },
    }),
    operation({
      operationId: 'exportPolicy',
      method: 'post',
      path: '/policies/{id}/export',
      tags: ['policies'],
      summary: 'Download a version of the policy as Markdown or PDF',
      access: { permission: 'policy:read' },
      // A file is never stored for replay: a retry with the key makes the file again.
      headers: ['Idempotency-Key'],
      params: PolicyPath,
      body: z.strictObject({ format: z.enum(['pdf', 'markdown']), version: z.int().min(1).optional() }),
      answers: {
        200: {
          description:
            'The file; X-Content-SHA256 is the hash of the Markdown content of that version. The PDF also shows who approved and who published that version, and when ("[erased]" for an erased person)',
          files: { 'application/pdf': null, 'text/markdown': z.string() },
          headers: { 'X-Content-SHA256': { description: 'SHA-256 of the Markdown content of the version' } },
        },
        404: { description: 'No such policy, or no such version of it', problem: true },
      },
      async handler(req, res) {
        const state = await visiblePolicy(handler, res, req.params.id);
        const { format, version: wanted } = req.body;
        const version =
          wanted === undefined ? currentVersion(state)! : state.versions.find((v) => v.version === wanted);
        if (!version) throw notFound(`version ${wanted} of the policy`, 'version');
        const file = `policy-${state.policyId}-v${version.version}`;
        res.setHeader('X-Content-SHA256', version.contentHash);
        if (format === 'markdown') {
          res.type('text/markdown; charset=utf-8').attachment(`${file}.md`).send(version.content);
          return;
        }
        const { approved, published } = await reviewOf(handler, authOf(res).tenantId, state.policyId!, version.version);
        const pdf = await markdownToPdf(version.content, {
          title: state.title!,
          footer: [
            `Version ${version.version} · status ${state.status} · SHA-256 of the content ${version.contentHash}`,
            approved ? `Approved by ${approved.by} on ${moment(approved.at)}` : 'Not approved',
            published ? `Published by ${published.by} on ${moment(published.at)}` : 'Not published',
          ].join('\n'),
        });
        res.type('application/pdf').attachment(`${file}.pdf`).send(pdf);
      },
    }),
  ];
}
