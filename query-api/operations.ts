import type { AnyOperation } from '../infrastructure/http/contract/operation.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { assessmentReads } from './assessments/operations.js';
import { clientReads } from './clients/operations.js';
import { frameworkReads } from './frameworks/operations.js';
import { policyReads } from './policies/operations.js';
import { reportReads } from './reports/operations.js';

/** Every operation of the read side, each declared beside its handler. */
export function queryOperations(resources: Resources): AnyOperation[] {
  const deps = {
    database: resources.database,
    eventStore: resources.eventStore,
    waitMs: resources.config.QUERY_WAIT_MS,
  };
  return [
    ...clientReads(deps),
    ...policyReads(deps),
    ...assessmentReads(deps),
    ...frameworkReads(),
    ...reportReads(deps),
  ];
}
