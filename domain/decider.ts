/**
 * The shape of every aggregate: pure functions, no I/O, no clock, no randomness. Whatever a decision needs from
 * the world (ids, the time, a password hash) arrives inside the command.
 *
 *   state = events.reduce(evolve, initialState())
 *   newEvents = decide(command, state)
 */
export interface Decider<Command, Event, State> {
  initialState(): State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
}

/** Every domain event: a type and a JSON body. Metadata (who, when, why) is added where events are stored. */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  type: Type;
  data: Data;
}

export type DomainErrorCode = 'invalid' | 'conflict' | 'not_found' | 'forbidden' | 'gone' | 'unauthenticated';

/** A command that cannot be carried out in this state. `field` names the input at fault, when there is one. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Folds events into state with a decider's evolve. */
export function fold<Command, Event, State>(decider: Decider<Command, Event, State>, events: Iterable<Event>): State {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
}

/**
 * Fields of an event that hold a data subject's personal data. They are stored encrypted under that subject's key
 * (crypto-shredding) and read back as "[erased]" once the subject is erased. Plain data, so the domain stays pure.
 */
export interface PersonalDataFields {
  /** The event data field that holds the subject id. */
  subject: string;
  fields: readonly string[];
}
