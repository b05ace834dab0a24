import type { Permission } from './roles.js';

/** The caller as the profile rules need it. */
export interface ProfileReader {
  userId: string;
  clientId: string | null;
  permissions: readonly Permission[];
}

/**
 * What a caller may do with a user's profile: the user themselves and the administrators of their scope (an MSP
 * admin for every user of the tenant, a client admin for the users of their client) manage it; others who may read
 * the user read it when the user made it public; anyone else does not see that it exists.
 */
export function profileAccess(
  caller: ProfileReader,
  target: { userId: string; clientId: string | null },
): 'manage' | 'read' | 'none' {
  if (caller.userId === target.userId) return 'manage';
  const inScope = caller.clientId === null || caller.clientId === target.clientId;
  if (!inScope) return 'none';
  if (caller.permissions.includes('user:write')) return 'manage';
  return caller.permissions.includes('user:read') ? 'read' : 'none';
}
