import type { AnyOperation } from '../infrastructure/http/contract/operation.js';
import type { Resources } from '../infrastructure/runtime/resources.js';
import { authCommands } from './auth/operations.js';
import { clientCommands } from './clients/operations.js';
import type { CommandHandler } from './http/command-handler.js';
import { userCommands } from './users/operations.js';

/** Every operation of the write side, each declared beside its handler. */
export function commandOperations(handler: CommandHandler, resources: Resources): AnyOperation[] {
  return [...clientCommands(handler), ...authCommands(resources, handler), ...userCommands(resources, handler)];
}
