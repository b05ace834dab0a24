import type { AnyOperation } from '../infrastructure/http/contract/operation.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { auditReads } from './audit/operations.js';
import { clientReads } from './clients/operations.js';
import { historyReads } from './history/operations.js';
import { mspReads } from './msp/operations.js';
import { userReads } from './users/operations.js';
import { violationReads } from './violations/operations.js';

/** Every operation of the read side, each declared beside its handler. */
export function queryOperations(resources: Resources): AnyOperation[] {
  const deps = {
    database: resources.database,
    eventStore: resources.eventStore,
    vault: resources.vault,
    waitMs: resources.config.QUERY_WAIT_MS,
  };
  return [
    ...clientReads(deps),
    ...userReads(deps),
    ...violationReads(deps),
    ...auditReads(deps),
    ...historyReads(deps),
    ...mspReads(deps),
  ];
}
