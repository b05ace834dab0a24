import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  emailDecider,
  type EmailCommand,
  type EmailEvent,
  type EmailState,
} from '../../domain/accounts/organization.js';
import {
  userDecider,
  userPersonalData,
  type UserCommand,
  type UserEvent,
  type UserState,
} from '../../domain/accounts/user.js';
import { DomainError } from '../../domain/decider.js';
import { hashToken } from '../../infrastructure/auth/tokens.js';
import { clientAddressOf } from '../../infrastructure/http/client-address.js';
import { HttpProblem } from '../../infrastructure/http/problem.js';
import { TooManyAttemptsError } from '../../infrastructure/rate-limit/login-limiter.js';
import type { Aggregate, CommandContext } from '../http/command-handler.js';

/** What the account operations (auth/ and users/) share: the aggregates, fields, one-time tokens, mail links. */

export const Email = z.email().max(254);
export const Password = z.string().min(12).max(256).describe('At least 12 characters.');
export const PersonName = z.string().min(1).max(200);
/** A one-time token from a mail (verification, reset, invitation), or a refresh token. */
export const Token = z.string().min(1).max(512);

export const users: Aggregate<UserCommand, UserEvent, UserState> = {
  decider: userDecider,
  personalData: userPersonalData,
};
export const emails: Aggregate<EmailCommand, EmailEvent, EmailState> = { decider: emailDecider };

/** A one-time token that names its account: <tenantId>.<userId>.<secret>. Only the secret's hash is stored. */
const ACCOUNT_TOKEN = /^([0-9a-f-]{36})\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

export function accountToken(tenantId: string, userId: string, secret: string): string {
  return `${tenantId}.${userId}.${secret}`;
}

/** Splits a one-time token; anything malformed is the same 422 as a wrong one. */
export function parseAccountToken(
  token: string,
  what: string,
): { tenantId: string; userId: string; secretHash: string } {
  const match = ACCOUNT_TOKEN.exec(token);
  if (!match) throw new DomainError('invalid', `This ${what} link is not valid`, 'token');
  return { tenantId: match[1]!, userId: match[2]!, secretHash: hashToken(match[3]!) };
}

/** Runs a command against the account a token names; a token naming no account is an invalid token. */
export async function onTokenAccount(run: () => Promise<unknown>, what: string): Promise<void> {
  await run().catch((error: unknown) => {
    if (error instanceof DomainError && error.code === 'not_found')
      throw new DomainError('invalid', `This ${what} link is not valid`, 'token');
    throw error;
  });
}

/** The context of a command sent without a signed-in caller: the account acts, in the tenant named. */
export function contextOf(req: Request, tenantId: string, actorId: string): CommandContext {
  return { tenantId, actorId, correlationId: String(req.id), ip: clientAddressOf(req) };
}

/** The embedded default has no mail server: show the link to whoever runs the ledger (never when SMTP is set). */
export function showLinkWithoutSmtp(smtp: string | undefined, what: string, link: string): void {
  if (!smtp) console.log(`\n  ✉  ${what}: ${link}\n`);
}

/** Turns a used-up attempt limit into 429 with Retry-After. */
export async function limited(check: () => Promise<void>, res: Response): Promise<void> {
  try {
    await check();
  } catch (error) {
    if (error instanceof TooManyAttemptsError) {
      res.setHeader('Retry-After', String(error.retryAfterSeconds));
      throw new HttpProblem(
        429,
        'too-many-attempts',
        'Too many attempts',
        `Too many attempts; retry in ${error.retryAfterSeconds} seconds.`,
      );
    }
    throw error;
  }
}
