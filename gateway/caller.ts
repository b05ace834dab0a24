/**
 * Who is calling through the gateway: a client's gateway key, or (for the ledger's own chat) a signed-in user of
 * that client. Everything the gateway decides about a request starts from here.
 */
export interface GatewayCaller {
  tenantId: string;
  clientId: string;
  /** The key the request came with; null for the chat, which signs in as a user. */
  keyId: string | null;
  /** The signed-in user, for the chat; null through a key. */
  userId: string | null;
  /** Who is sending, as the key (or the chat) names them; recorded only as a keyed hash, and sealed in violations. */
  userRef: string | null;
  userRefHash: string | null;
  /** The services the caller may reach (each still needs the client's approval); null: every approved one. */
  aiServiceIds: string[] | null;
  /** Requests a minute; null: the configured default. */
  requestsPerMinute: number | null;
}
