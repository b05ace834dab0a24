import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { organizationDecider, organizationStream } from '../domain/accounts/organization.js';
import { clientDecider, clientStream } from '../domain/clients/client.js';
import { gatewayKeyDecider, gatewayKeyPersonalData, gatewayKeyStream } from '../domain/gateway/gateway-key.js';
import type { CommandHandler } from '../command-api/http/command-handler.js';
import type { GatewayCaller } from './caller.js';

/**
 * A gateway key names its tenant and itself, so that it is checked against its own stream, without a lookup table
 * that could lag behind a revocation: `clk_<tenant hex><key hex>_<43 characters of base64url randomness>`.
 */
const KEY = /^clk_([0-9a-f]{32})([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

const hex = (uuid: string): string => uuid.replaceAll('-', '');
const uuid = (hex32: string): string =>
  `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-${hex32.slice(12, 16)}-${hex32.slice(16, 20)}-${hex32.slice(20)}`;

/** SHA-256 of the whole key, hex: the key carries 256 bits of randomness, so no slow hash is needed. */
export const gatewayKeyHash = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new key for a tenant's key id: the key (shown once), its hash (kept) and a prefix (shown in lists). */
export function makeGatewayKey(tenantId: string, keyId: string): { key: string; keyHash: string; keyPrefix: string } {
  const key = `clk_${hex(tenantId)}${hex(keyId)}_${randomBytes(32).toString('base64url')}`;
  return { key, keyHash: gatewayKeyHash(key), keyPrefix: `${key.slice(0, 12)}…${key.slice(-4)}` };
}

/** The tenant and key a key names, or null when it is not a gateway key at all. */
export function parseGatewayKey(key: string): { tenantId: string; keyId: string } | null {
  const match = KEY.exec(key);
  return match ? { tenantId: uuid(match[1]!), keyId: uuid(match[2]!) } : null;
}

/**
 * The caller a bearer key stands for, or null: malformed, unknown, revoked, another key's secret, a client that
 * is no longer active, or a suspended tenant. Read from the key's stream on every request, so that a revocation holds at once.
 */
export async function authenticateGatewayKey(
  handler: Pick<CommandHandler, 'load'>,
  key: string,
): Promise<GatewayCaller | null> {
  const named = parseGatewayKey(key);
  if (!named) return null;
  const { state } = await handler.load(
    { decider: gatewayKeyDecider, personalData: gatewayKeyPersonalData },
    gatewayKeyStream(named.tenantId, named.keyId),
  );
  if (state.status !== 'active' || !state.keyHash) return null;
  const expected = Buffer.from(state.keyHash, 'hex');
  const given = Buffer.from(gatewayKeyHash(key), 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  const client = await handler.load({ decider: clientDecider }, clientStream(named.tenantId, state.clientId!));
  if (client.state.status !== 'active') return null;
  // A suspended tenant's keys are refused like revoked ones (ledger tenants suspend).
  const organization = await handler.load({ decider: organizationDecider }, organizationStream(named.tenantId));
  if (organization.state.suspended) return null;
  return {
    tenantId: named.tenantId,
    clientId: state.clientId!,
    keyId: named.keyId,
    userId: null,
    userRef: state.userRef ?? null,
    userRefHash: state.userRefHash ?? null,
    aiServiceIds: state.aiServiceIds ?? null,
    requestsPerMinute: state.requestsPerMinute ?? null,
  };
}
