import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { profileAccess } from '../../domain/accounts/profile-access.js';
import { userStream, type UserCommand } from '../../domain/accounts/user.js';
import { authOf, mfaEnrolmentRequired } from '../../infrastructure/http/authentication.js';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { commandAnswer, Id } from '../../infrastructure/http/contract/schemas.js';
import { HttpProblem, notFound } from '../../infrastructure/http/problem.js';
import type { Request, Response } from 'express';
import { users } from '../auth/accounts.js';
import type { CommandHandler } from '../http/command-handler.js';
import { commandContext } from '../http/context.js';
import { ifMatchOf, sendCommandResult } from '../http/responses.js';
import { ContactBody, ContactChanges, contactValue, ExperienceBody, ProfileBody, profileOf } from './input.js';

const tags = ['users'] as const;
const UserPath = z.object({ id: Id });
const ContactPath = z.object({ id: Id, contactId: Id });
const EntryPath = z.object({ id: Id, entryId: Id });
const headers = ['If-Match', 'Idempotency-Key'] as const;
const answers = {
  404: { description: 'No such user (or contact, or entry) that you may see', problem: true },
  403: { description: 'You may read this user but not change their profile', problem: true },
  410: { description: 'The user has been erased', problem: true },
  422: { description: 'The command cannot be carried out', problem: true },
} as const;

/**
 * Profiles, contacts and professional history: the user themselves, or an administrator of their scope (the MSP's
 * for every user, a client's for that client's users). Everything written is sealed under the user's own key.
 */
export function profileCommands(handler: CommandHandler) {
  /** The user's stream and state, once the caller is known to manage that user; a user out of sight is a 404. */
  async function managed(res: Response, userId: string) {
    const actor = authOf(res);
    if (actor.enrolmentOnly) throw mfaEnrolmentRequired();
    const stream = userStream(actor.tenantId, userId);
    const { state } = await handler.load(users, stream);
    const access = state.exists
      ? profileAccess(actor, { userId, clientId: state.clientId ?? null })
      : ('none' as const);
    if (access === 'none') throw notFound('user');
    if (access !== 'manage')
      throw new HttpProblem(403, 'forbidden', 'Forbidden', 'Only the user and their administrators change a profile.');
    return { stream, state };
  }

  async function run(req: Request, res: Response, stream: string, command: UserCommand) {
    return handler.execute(users, stream, command, commandContext(req, res), {
      expect: 'existing',
      ifMatch: ifMatchOf(req),
    });
  }

  return [
    operation({
      operationId: 'setUserProfile',
      method: 'put',
      path: '/users/{id}/profile',
      tags,
      summary: "Set a user's profile (the whole of it): names, date of birth, location, bio, picture, flags",
      access: 'signed-in',
      headers,
      params: UserPath,
      body: ProfileBody,
      answers: { 200: { description: 'Set', schema: commandAnswer(z.object({ userId: Id })) }, ...answers },
      async handler(req, res) {
        const userId = req.params.id;
        const { stream } = await managed(res, userId);
        const result = await run(req, res, stream, {
          type: 'SetProfile',
          profile: profileOf(req.body),
          setBy: authOf(res).userId,
        });
        sendCommandResult(res, 200, { userId }, result);
      },
    }),
    operation({
      operationId: 'addUserContact',
      method: 'post',
      path: '/users/{id}/contacts',
      tags,
      summary: 'Add a contact (phone, email or another channel); a new primary demotes the old one of its type',
      access: 'signed-in',
      headers,
      params: UserPath,
      body: ContactBody,
      answers: {
        201: { description: 'Added', schema: commandAnswer(z.object({ userId: Id, contactId: Id })) },
        409: { description: 'The same contact is there already', problem: true },
        ...answers,
      },
      async handler(req, res) {
        const userId = req.params.id;
        const { stream, state } = await managed(res, userId);
        const body = req.body;
        const { type, label, primary } = body;
        const contactId = randomUUID();
        const result = await run(req, res, stream, {
          type: 'AddContact',
          contactId,
          contactType: type,
          value: contactValue(type, body.value, state.profile?.country, 'value'),
          label: label ?? null,
          ...(primary !== undefined ? { primary } : {}),
        });
        sendCommandResult(res, 201, { userId, contactId }, result);
      },
    }),
    operation({
      operationId: 'changeUserContact',
      method: 'patch',
      path: '/users/{id}/contacts/{contactId}',
      tags,
      summary: "Change a contact's value, label or primary flag",
      access: 'signed-in',
      headers,
      params: ContactPath,
      body: ContactChanges,
      answers: {
        200: { description: 'Changed', schema: commandAnswer(z.object({ userId: Id, contactId: Id })) },
        409: { description: 'The contact is deactivated, or the same one is there already', problem: true },
        ...answers,
      },
      async handler(req, res) {
        const { id: userId, contactId } = req.params;
        const { stream, state } = await managed(res, userId);
        const contact = state.contacts.find((c) => c.contactId === contactId);
        if (!contact) throw notFound('contact');
        const { value, label, primary } = req.body;
        const result = await run(req, res, stream, {
          type: 'ChangeContact',
          contactId,
          ...(value !== undefined ? { value: contactValue(contact.type, value, state.profile?.country, 'value') } : {}),
          ...(label !== undefined ? { label } : {}),
          ...(primary !== undefined ? { primary } : {}),
        });
        sendCommandResult(res, 200, { userId, contactId }, result);
      },
    }),
    operation({
      operationId: 'deactivateUserContact',
      method: 'delete',
      path: '/users/{id}/contacts/{contactId}',
      tags,
      summary: 'Deactivate a contact: it leaves the lists (see includeInactive) and stays in the history',
      access: 'signed-in',
      headers,
      params: ContactPath,
      answers: {
        200: {
          description: 'Deactivated',
          schema: commandAnswer(z.object({ userId: Id, contactId: Id, active: z.literal(false) })),
        },
        ...answers,
      },
      async handler(req, res) {
        const { id: userId, contactId } = req.params;
        const { stream } = await managed(res, userId);
        const result = await run(req, res, stream, { type: 'DeactivateContact', contactId });
        sendCommandResult(res, 200, { userId, contactId, active: false as const }, result);
      },
    }),
    operation({
      operationId: 'addUserExperience',
      method: 'post',
      path: '/users/{id}/experience',
      tags,
      summary: 'Add a professional history entry (title, company, industry, dates)',
      access: 'signed-in',
      headers,
      params: UserPath,
      body: ExperienceBody,
      answers: {
        201: { description: 'Added', schema: commandAnswer(z.object({ userId: Id, entryId: Id })) },
        ...answers,
      },
      async handler(req, res) {
        const userId = req.params.id;
        const { stream } = await managed(res, userId);
        const entryId = randomUUID();
        const { title, company, industry, startDate, endDate } = req.body;
        const result = await run(req, res, stream, {
          type: 'AddExperience',
          entryId,
          title,
          company,
          industry: industry ?? null,
          startDate,
          endDate: endDate ?? null,
        });
        sendCommandResult(res, 201, { userId, entryId }, result);
      },
    }),
    operation({
      operationId: 'deactivateUserExperience',
      method: 'delete',
      path: '/users/{id}/experience/{entryId}',
      tags,
      summary: 'Deactivate a professional history entry: it leaves the lists and stays in the history',
      access: 'signed-in',
      headers,
      params: EntryPath,
      answers: {
        200: {
          description: 'Deactivated',
          schema: commandAnswer(z.object({ userId: Id, entryId: Id, active: z.literal(false) })),
        },
        ...answers,
      },
      async handler(req, res) {
        const { id: userId, entryId } = req.params;
        const { stream } = await managed(res, userId);
        const result = await run(req, res, stream, { type: 'DeactivateExperience', entryId });
        sendCommandResult(res, 200, { userId, entryId, active: false as const }, result);
      },
    }),
  ];
}
