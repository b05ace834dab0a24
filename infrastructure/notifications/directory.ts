/** A webhook's stream: its registration and deletion, and the secret it signs deliveries with. */
export const webhookStream = (tenantId: string, webhookId: string): string => `${tenantId}/webhook/${webhookId}`;
