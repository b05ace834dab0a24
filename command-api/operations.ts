import type { AnyOperation } from '../infrastructure/http/contract/operation.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { assessmentCommands } from './assessments/operations.js';
import { clientCommands } from './clients/operations.js';
import type { CommandHandler } from './http/command-handler.js';
import { policyCommands } from './policies/operations.js';

/** Every operation of the write side, each declared beside its handler. */
export function commandOperations(resources: Resources, handler: CommandHandler): AnyOperation[] {
  return [
    ...clientCommands(handler),
    ...policyCommands(handler, resources.policyDrafter),
    ...assessmentCommands(handler),
  ];
}
