import type { AiServicesTables } from './ai-services.js';
import type { AssessmentsTables } from './assessments.js';
import type { AuditLogTables } from './audit-log.js';
import type { ClientsTables } from './clients.js';
import type { EvidenceTables } from './evidence.js';
import type { GatewayRequestsTables } from './gateway-requests.js';
import type { GatewayKeysTables } from './gateway-keys.js';
import type { PoliciesTables } from './policies.js';
import type { PromptAnalysesTables } from './prompt-analyses.js';
import type { SearchTables } from './search.js';
import type { UserProfilesTables } from './user-profiles.js';
import type { UsersTables } from './users.js';
import type { ViolationsTables } from './violations.js';

/**
 * The read models' tables, as Kysely sees them: each read model declares its tables beside its projection and its
 * mapper (projections/read-models/<name>.ts), and joins them here.
 */
export type ReadModels = ClientsTables &
  UsersTables &
  UserProfilesTables &
  EvidenceTables &
  AiServicesTables &
  PromptAnalysesTables &
  PoliciesTables &
  AssessmentsTables &
  ViolationsTables &
  AuditLogTables &
  GatewayRequestsTables &
  GatewayKeysTables &
  SearchTables;
