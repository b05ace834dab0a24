import type { AnyOperation } from '../infrastructure/http/contract/operation.js';
import { NotificationDirectory } from '../projections/notifications/directory.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { aiServiceReads } from './ai-services/operations.js';
import { aiUsageReads } from './ai-usage/operations.js';
import { assessmentReads } from './assessments/operations.js';
import { auditReads } from './audit/operations.js';
import { chatReads } from './chat/operations.js';
import { clientReads } from './clients/operations.js';
import { evidenceReads } from './evidence/operations.js';
import { frameworkReads } from './frameworks/operations.js';
import { gatewayKeyReads } from './gateway-keys/operations.js';
import { historyReads } from './history/operations.js';
import { mspReads } from './msp/operations.js';
import { policyReads } from './policies/operations.js';
import { promptAnalysisReads } from './prompt-analyses/operations.js';
import { reportReads } from './reports/operations.js';
import { searchReads } from './search/operations.js';
import { userReads } from './users/operations.js';
import { violationReads } from './violations/operations.js';
import { webhookReads } from './webhooks/operations.js';

/** Every operation of the read side, each declared beside its handler. */
export function queryOperations(resources: Resources): AnyOperation[] {
  const deps = {
    database: resources.database,
    eventStore: resources.eventStore,
    vault: resources.vault,
    waitMs: resources.config.QUERY_WAIT_MS,
  };
  // Webhooks are read from the log, uncached: a read right after a change sees it.
  const directory = new NotificationDirectory(resources.eventStore, resources.vault, 0);
  return [
    ...clientReads(deps),
    ...userReads({ ...deps, vault: resources.vault }),
    ...evidenceReads(deps),
    ...aiServiceReads(deps),
    ...gatewayKeyReads(deps),
    ...promptAnalysisReads(deps),
    ...aiUsageReads(deps),
    ...webhookReads({ database: resources.database, directory }),
    ...policyReads(deps),
    ...assessmentReads(deps),
    ...frameworkReads(),
    ...reportReads(deps),
    ...violationReads(deps),
    ...auditReads(deps),
    ...historyReads(deps),
    ...mspReads(deps),
    ...chatReads(deps),
    ...searchReads(deps),
  ];
}
