import { evidenceWatchProjection } from './evidence-expiry/projection.js';
import { auditLogProjection } from './read-models/audit-log.js';
import { clientsProjection } from './read-models/clients.js';
import { policiesProjection } from './read-models/policies.js';
import { evidenceProjection } from './read-models/evidence.js';
import { aiServicesProjection } from './read-models/ai-services.js';
import { assessmentsProjection } from './read-models/assessments.js';
import { violationsProjection } from './read-models/violations.js';
import { usersProjection } from './read-models/users.js';
import { userProfilesProjection } from './read-models/user-profiles.js';
import { promptAnalysesProjection } from './read-models/prompt-analyses.js';
import { gatewayRequestsProjection } from './read-models/gateway-requests.js';
import { gatewayKeysProjection } from './read-models/gateway-keys.js';
import { searchProjection } from './read-models/search.js';
import type { AnyProjection } from './projection.js';

/** Every projection the ledger runs, by name. */
export const PROJECTIONS: readonly AnyProjection[] = [
  clientsProjection,
  usersProjection,
  userProfilesProjection,
  policiesProjection,
  evidenceProjection,
  aiServicesProjection,
  promptAnalysesProjection,
  gatewayRequestsProjection,
  assessmentsProjection,
  violationsProjection,
  auditLogProjection,
  searchProjection,
  evidenceWatchProjection,
  gatewayKeysProjection,
];

export function projectionNamed(name: string): AnyProjection | undefined {
  return PROJECTIONS.find((projection) => projection.name === name);
}
