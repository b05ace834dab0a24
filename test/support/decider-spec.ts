import { expect } from 'vitest';
import { DomainError, fold, type Decider, type DomainErrorCode } from '../../domain/decider.js';

/** Given events, when a command, then these events (or this error): the one shape of every domain spec. */
export function given<C, E, S>(decider: Decider<C, E, S>, history: E[] = []) {
  return {
    when(command: C) {
      const run = () => decider.decide(command, fold(decider, history));
      return {
        then(expected: E[]) {
          const events = run();
          expect(events).toEqual(expected);
          // What was decided must also fold: the new events are valid input to evolve.
          fold(decider, [...history, ...events]);
        },
        thenFails(code: DomainErrorCode, field?: string) {
          let error: unknown;
          try {
            run();
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(DomainError);
          expect((error as DomainError).code).toBe(code);
          if (field) expect((error as DomainError).field).toBe(field);
        },
      };
    },
  };
}
