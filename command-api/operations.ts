import type { AnyOperation } from '../infrastructure/http/contract/operation.js';
import { clientCommands } from './clients/operations.js';
import type { CommandHandler } from './http/command-handler.js';

/** Every operation of the write side, each declared beside its handler. */
export function commandOperations(handler: CommandHandler): AnyOperation[] {
  return [...clientCommands(handler)];
}
