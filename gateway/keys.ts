import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { organizationDecider, organizationStream, type OrganizationState } from '../domain/accounts/organization.js';
import type { AiServiceState } from '../domain/ai-governance/ai-service.js';
import type { ClientAiState } from '../domain/ai-governance/client-ai-governance.js';
import type { ClientState } from '../domain/clients/client.js';
import {
  gatewayKeyDecider,
  gatewayKeyPersonalData,
  gatewayKeyStream,
  type GatewayKeyState,
} from '../domain/gateway/gateway-key.js';
import type { CommandHandler, Loaded, StreamToLoad } from '../command-api/http/command-handler.js';
import { clientStandingStreams } from '../command-api/prompt-analysis/analyze.js';
import { routeStream, type CallerStanding, type GatewayCaller } from './caller.js';

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
 * Which client and services a key led to last time, so that the next request reads the key's, its client's, its
 * governance's and those services' streams in one round trip. Only a guess of what to read, never of what is there:
 * every stream is read at the request (CommandHandler.loadMany), and a wrong guess costs another read, nothing else.
 */
export class KeyHints {
  private readonly hints = new Map<string, { clientId: string; aiServiceIds: string[] }>();

  constructor(private readonly size = 10_000) {}

  get(keyId: string): { clientId: string; aiServiceIds: string[] } | undefined {
    return this.hints.get(keyId);
  }

  set(keyId: string, clientId: string, aiServiceIds: string[]): void {
    this.hints.delete(keyId);
    this.hints.set(keyId, { clientId, aiServiceIds });
    if (this.hints.size > this.size) this.hints.delete(this.hints.keys().next().value!);
  }
}

/**
 * The caller a bearer key stands for, or null: malformed, unknown, revoked, another key's secret, a client that
 * is no longer active, or a suspended tenant. Read from the key's stream on every request, so that a revocation
 * holds at once.
 */
export async function authenticateGatewayKey(
  handler: Pick<CommandHandler, 'loadMany'>,
  key: string,
  hints?: KeyHints,
): Promise<GatewayCaller | null> {
  return (await authenticate(handler, key, hints))?.caller ?? null;
}

/**
 * authenticateGatewayKey, and what was read with the key in the same round trip (the client, its governance and the
 * services the key led to last time, see KeyHints), for the pipeline to use rather than read again.
 */
export async function authenticate(
  handler: Pick<CommandHandler, 'loadMany'>,
  key: string,
  hints?: KeyHints,
): Promise<{ caller: GatewayCaller; standing: CallerStanding } | null> {
  const named = parseGatewayKey(key);
  if (!named) return null;
  const { tenantId, keyId } = named;
  const hint = hints?.get(keyId);
  const streams: StreamToLoad[] = [
    {
      aggregate: { decider: gatewayKeyDecider, personalData: gatewayKeyPersonalData },
      streamId: gatewayKeyStream(tenantId, keyId),
    },
    // A suspended tenant's keys are refused like revoked ones (ledger tenants suspend).
    { aggregate: { decider: organizationDecider }, streamId: organizationStream(tenantId) },
    ...(hint
      ? [...clientStandingStreams(tenantId, hint.clientId), ...hint.aiServiceIds.map((id) => routeStream(tenantId, id))]
      : []),
  ];
  const [loadedKey, organization, ...rest] = await handler.loadMany(streams);
  const state = loadedKey!.state as GatewayKeyState;
  if (state.status !== 'active' || !state.keyHash) return null;
  if ((organization!.state as OrganizationState).suspended) return null;
  const expected = Buffer.from(state.keyHash, 'hex');
  const given = Buffer.from(gatewayKeyHash(key), 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  const clientId = state.clientId!;
  const guessed = hint?.clientId === clientId;
  const [client, governance, ...services] = guessed
    ? rest
    : await handler.loadMany(clientStandingStreams(tenantId, clientId));
  if ((client!.state as ClientState).status !== 'active') return null;
  return {
    caller: {
      tenantId,
      clientId,
      keyId,
      userId: null,
      userRef: state.userRef ?? null,
      userRefHash: state.userRefHash ?? null,
      aiServiceIds: state.aiServiceIds ?? null,
      requestsPerMinute: state.requestsPerMinute ?? null,
    },
    standing: {
      client: client as Loaded<ClientState>,
      governance: governance as Loaded<ClientAiState>,
      services: new Map(
        guessed ? hint.aiServiceIds.map((id, i) => [id, services[i]!.state as AiServiceState] as const) : [],
      ),
    },
  };
}
