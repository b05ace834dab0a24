/** Who may do what. Every route declares the permission it needs; roles map to permissions here and nowhere else. */
export const ROLES = ['msp_admin', 'msp_analyst', 'client_admin', 'compliance_officer', 'auditor', 'member'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'framework:read',
  'client:read',
  'client:write',
  'user:read',
  'user:write',
  'organization:write',
  'policy:read',
  'policy:write',
  'policy:approve',
  'assessment:read',
  'assessment:write',
  'evidence:read',
  'evidence:write',
  'ai-service:read',
  'ai-service:write',
  'prompt:analyze',
  'violation:read',
  'violation:write',
  'audit:read',
  'webhook:read',
  'webhook:write',
  /** Listing a client's gateway keys (never a key itself): its compliance people see their own client's. */
  'gateway-key:read',
  /** Issuing and revoking gateway keys: the MSP's admins only, since a key spends the client's AI budget. */
  'gateway-key:manage',
  /** Chat with a client's approved AI services through the gateway, in sessions of one's own. */
  'chat:use',
  /** Read any chat session's history (placeholder form) of the MSP's clients: oversight, not conversation. */
  'chat:read-all',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ_ALL: Permission[] = [
  'framework:read',
  'client:read',
  'user:read',
  'policy:read',
  'assessment:read',
  'evidence:read',
  'ai-service:read',
  'violation:read',
];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  msp_admin: PERMISSIONS,
  msp_analyst: [
    ...READ_ALL,
    'policy:write',
    'assessment:write',
    'evidence:write',
    'prompt:analyze',
    'violation:write',
    'audit:read',
  ],
  client_admin: [
    ...READ_ALL,
    'user:write',
    'policy:write',
    'policy:approve',
    'assessment:write',
    'evidence:write',
    'ai-service:write',
    'prompt:analyze',
    'violation:write',
    'gateway-key:read',
  ],
  compliance_officer: [
    ...READ_ALL,
    'policy:write',
    'policy:approve',
    'assessment:write',
    'evidence:write',
    'prompt:analyze',
    'violation:write',
    'audit:read',
    'gateway-key:read',
    'chat:use',
  ],
  auditor: [...READ_ALL, 'audit:read', 'chat:read-all'],
  member: ['framework:read', 'policy:read', 'prompt:analyze'],
};

export function permissionsOf(role: Role): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}

/** Roles scoped to one client company; the others act for the whole MSP. */
export function isClientScoped(role: Role): boolean {
  return role === 'client_admin' || role === 'compliance_officer' || role === 'member';
}
