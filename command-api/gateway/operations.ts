import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { aiServiceDecider, aiServiceStream } from '../../domain/ai-governance/ai-service.js';
import { clientDecider, clientStream } from '../../domain/clients/client.js';
import { gatewayKeyDecider, gatewayKeyPersonalData, gatewayKeyStream } from '../../domain/gateway/gateway-key.js';
import { makeGatewayKey } from '../../gateway/keys.js';
import { assertClientAccess, authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import type { StoredAnswerRules } from '../../infrastructure/http/idempotency.js';
import { HttpProblem, notFound } from '../../infrastructure/http/problem.js';
import type { Resources } from '../../infrastructure/runtime/resources.js';
import type { CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { sendCommandResult } from '../http/responses.js';

const keys = { decider: gatewayKeyDecider, personalData: gatewayKeyPersonalData };
const manage = { permission: 'gateway-key:manage' } as const;

/**
 * A gateway key is shown once: the idempotency store never keeps it, and a replay of the same request answers the
 * rest of the first answer without it (meta.withheld says why) rather than issuing a second key.
 */
export const gatewayKeyAnswer: StoredAnswerRules = {
  withheld: ['key'],
  reason:
    'A gateway key is shown only once and is never stored (only its hash is); a replayed answer cannot show it. If the first answer was lost, revoke this key (DELETE /clients/{id}/gateway-keys/{keyId}) and issue another.',
};

/** Gateway keys: how a client's tools reach AI services through the ledger. Issued and revoked by the MSP's admins. */
export function gatewayKeyCommands(resources: Pick<Resources, 'tenantHash'>, handler: CommandHandler) {
  /** Keys are issued for an existing client that is not archived. */
  async function requireActiveClient(tenantId: string, clientId: string): Promise<void> {
    const { state } = await handler.load({ decider: clientDecider }, clientStream(tenantId, clientId));
    if (state.status === 'none') throw notFound('client');
    if (state.status === 'archived') throw new HttpProblem(410, 'gone', 'Gone', 'The client is archived.');
  }

  /** Each service a key is bound to is in the registry: a mistyped id is refused by name, not kept as a dead bound. */
  async function requireRegistered(tenantId: string, aiServiceIds: readonly string[]): Promise<void> {
    const unknown: Array<{ field: string; message: string }> = [];
    await Promise.all(
      aiServiceIds.map(async (id, i) => {
        const { state } = await handler.load({ decider: aiServiceDecider }, aiServiceStream(tenantId, id));
        if (!state.exists) unknown.push({ field: `aiServiceIds.${i}`, message: `no AI service ${id} in the registry` });
      }),
    );
    if (unknown.length === 0) return;
    unknown.sort((x, y) => x.field.localeCompare(y.field, 'en', { numeric: true }));
    throw new HttpProblem(
      422,
      'unknown-ai-service',
      'Unknown AI service',
      unknown.map((u) => `${u.field}: ${u.message}`).join('; '),
      { errors: unknown },
    );
  }

  return [
    operation({
      operationId: 'issueGatewayKey',
      method: 'post',
      path: '/clients/{id}/gateway-keys',
      tags: ['gateway'],
      summary: "Issue a gateway key for a client's tools; the answer carries the key, shown this once",
      description:
        "The key (clk_…) is sent as `Authorization: Bearer <key>` to /gateway/v1, in place of the AI provider's own key. Only its SHA-256 is recorded. Bound to a user reference, every request through it is recorded as that user (as a keyed hash); bound to AI services, it reaches only those (each still needs the client's approval). An Idempotency-Key replay answers without the key (meta.withheld says so): it is never stored.",
      access: manage,
      headers: ['Idempotency-Key'],
      storedAnswer: gatewayKeyAnswer,
      params: z.object({ id: Id }),
      body: z.strictObject({
        name: z.string().min(1).max(200).describe('What the key is for, such as "Help desk bot"'),
        userRef: z
          .string()
          .min(1)
          .max(200)
          .describe('Who sends through this key (an employee id, say): recorded sealed, and as a keyed hash')
          .optional(),
        aiServiceIds: z
          .array(Id)
          .min(1)
          .max(50)
          .refine((ids) => new Set(ids).size === ids.length, 'each service once')
          .meta({ uniqueItems: true })
          .describe('The AI services the key may reach; leave out for every service the client approved')
          .optional(),
        requestsPerMinute: z
          .int()
          .min(1)
          .max(100_000)
          .describe('Requests a minute this key may send; leave out for the configured default')
          .optional(),
      }),
      answers: {
        201: {
          description: 'Issued',
          schema: commandAnswer(
            z.object({
              keyId: Id,
              key: z
                .string()
                .describe(
                  'clk_…: keep it, it is not shown again. Absent from an Idempotency-Key replay (meta.withheld says so): it is never stored.',
                )
                .optional(),
              keyPrefix: z.string(),
              clientId: Id,
              name: z.string(),
              userRef: z.string().nullable(),
              aiServiceIds: z.array(Id).nullable(),
              requestsPerMinute: z.int().nullable(),
              status: z.literal('active'),
            }),
          ),
        },
        404: { description: 'No such client in your tenant', problem: true },
        410: { description: 'The client is archived', problem: true },
        422: { description: 'An AI service (aiServiceIds) that is not in the registry', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const clientId = req.params.id;
        assertClientAccess(actor, clientId);
        await requireActiveClient(actor.tenantId, clientId);
        const { name, userRef, aiServiceIds, requestsPerMinute } = req.body;
        if (aiServiceIds) await requireRegistered(actor.tenantId, aiServiceIds);
        const keyId = randomUUID();
        const { key, keyHash, keyPrefix } = makeGatewayKey(actor.tenantId, keyId);
        const result = await handler.execute(
          keys,
          gatewayKeyStream(actor.tenantId, keyId),
          {
            type: 'IssueGatewayKey',
            keyId,
            clientId,
            name,
            keyHash,
            keyPrefix,
            userRef: userRef ?? null,
            userRefHash: userRef === undefined ? null : resources.tenantHash(actor.tenantId, 'user-ref', userRef),
            aiServiceIds: aiServiceIds ?? null,
            requestsPerMinute: requestsPerMinute ?? null,
            issuedBy: actor.userId,
          },
          commandContext(req, res),
          { expect: 'new' },
        );
        const issued = result.state;
        res.setHeader('Cache-Control', 'no-store');
        sendCommandResult(
          res,
          201,
          {
            keyId,
            key,
            keyPrefix,
            clientId,
            name: issued.name!,
            userRef: userRef ?? null,
            aiServiceIds: issued.aiServiceIds ?? null,
            requestsPerMinute: issued.requestsPerMinute ?? null,
            status: 'active',
          },
          result,
        );
      },
    }),
    operation({
      operationId: 'revokeGatewayKey',
      method: 'delete',
      path: '/clients/{id}/gateway-keys/{keyId}',
      tags: ['gateway'],
      summary: 'Revoke a gateway key: refused at once by the gateway, which checks each request against its stream',
      description: 'Revoking a key already revoked changes nothing and answers the same.',
      access: manage,
      headers: ['Idempotency-Key'],
      params: z.object({ id: Id, keyId: Id }),
      answers: {
        // 200 with the position rather than 204: the list read right after (X-Min-Position) shows the key revoked.
        200: {
          description: 'Revoked',
          schema: commandAnswer(z.object({ keyId: Id, status: z.literal('revoked') })),
        },
        404: { description: 'No such key of this client in your tenant', problem: true },
      },
      async handler(req, res) {
        const actor = authOf(res);
        const { id: clientId, keyId } = req.params;
        assertClientAccess(actor, clientId);
        const stream = gatewayKeyStream(actor.tenantId, keyId);
        // Another client's key named under this client's path is as missing as a key that never was.
        const { state } = await handler.load(keys, stream);
        if (state.status === 'none' || state.clientId !== clientId) throw notFound('gateway key');
        const result = await handler.execute(
          keys,
          stream,
          { type: 'RevokeGatewayKey', revokedBy: actor.userId },
          commandContext(req, res),
          { expect: 'existing' },
        );
        sendCommandResult(res, 200, { keyId, status: 'revoked' }, result);
      },
    }),
  ];
}
