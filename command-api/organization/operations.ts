import { z } from 'zod';
import { organizationDecider, organizationStream } from '../../domain/accounts/organization.js';
import { authOf } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, resource } from '../../infrastructure/http/contract/schemas.js';
import type { CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';

const organizations = { decider: organizationDecider };

/** The MSP's own settings. */
export function organizationCommands(handler: CommandHandler) {
  return [
    operation({
      operationId: 'getOrganizationSecurity',
      method: 'get',
      path: '/organization/security',
      tags: ['organization'],
      summary: "The MSP's security settings; every user of the MSP may read what applies to them",
      access: 'signed-in',
      etag: (_params, tenantId) => organizationStream(tenantId),
      answers: {
        200: { description: 'The settings', schema: resource(z.object({ requireMfa: z.boolean() })) },
      },
      async handler(_req, res) {
        const caller = authOf(res);
        const { state } = await handler.load(organizations, organizationStream(caller.tenantId));
        res.json({ data: { requireMfa: state.requireMfa }, meta: {} });
      },
    }),
    operation({
      operationId: 'setOrganizationSecurity',
      method: 'put',
      path: '/organization/security',
      tags: ['organization'],
      summary: "The MSP's security settings: whether all its users must sign in with a second factor",
      description:
        'With requireMfa, a user without multi-factor sign-in who logs in gets tokens limited to enrolment (enrolmentOnly: true); every route that needs a permission answers them 403 mfa-enrolment-required until they enrol and log in again. Sessions begun before keep their tokens until these expire; their next refresh is limited too.',
      access: { permission: 'organization:write' },
      headers: ['Idempotency-Key', 'If-Match'],
      body: z.strictObject({ requireMfa: z.boolean() }),
      answers: {
        200: {
          description: 'The settings as they are now',
          schema: commandAnswer(z.object({ requireMfa: z.boolean() })),
        },
      },
      async handler(req, res) {
        const caller = authOf(res);
        const result = await handler.execute(
          organizations,
          organizationStream(caller.tenantId),
          { type: 'SetMfaRequirement', requireMfa: req.body.requireMfa, setBy: caller.userId },
          commandContext(req, res),
          { expect: 'existing', ifMatch: ifMatchOf(req) },
        );
        sendCommandResult(res, 200, { requireMfa: result.state.requireMfa }, result);
      },
    }),
  ];
}
