import type { Migration } from 'kysely';
import * as eventStore from './0001_event_store.js';
import * as subjectKeys from './0002_subject_keys.js';
import * as idempotencyKeys from './0003_idempotency_keys.js';
import * as notifications from './0004_notifications.js';
import * as evidenceWatch from './0005_evidence_watch.js';
import * as readModels from './0006_read_models.js';
import * as policyReadModels from './0007_policy_read_models.js';
import * as evidenceReadModel from './0008_evidence_read_model.js';
import * as aiServiceReadModels from './0009_ai_service_read_models.js';
import * as assessmentReadModel from './0010_assessment_read_model.js';
import * as usersReadModel from './0011_users_read_model.js';
import * as auditOutcome from './0012_audit_outcome.js';
import * as promptAnalyses from './0013_prompt_analyses.js';
import * as sessions from './0014_sessions.js';
import * as readModelRoles from './0015_read_model_roles.js';

/** Every migration, in order. Listed statically so they run the same from TypeScript sources and compiled output. */
export const migrations: Record<string, Migration> = {
  '0001_event_store': eventStore,
  '0002_subject_keys': subjectKeys,
  '0003_idempotency_keys': idempotencyKeys,
  '0004_notifications': notifications,
  '0005_evidence_watch': evidenceWatch,
  '0006_read_models': readModels,
  '0007_policy_read_models': policyReadModels,
  '0008_evidence_read_model': evidenceReadModel,
  '0009_ai_service_read_models': aiServiceReadModels,
  '0010_assessment_read_model': assessmentReadModel,
  '0011_users_read_model': usersReadModel,
  '0012_audit_outcome': auditOutcome,
  '0013_prompt_analyses': promptAnalyses,
  '0014_sessions': sessions,
  '0015_read_model_roles': readModelRoles,
};
