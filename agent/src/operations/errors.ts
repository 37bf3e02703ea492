import { WofleetError } from '@wofleet/shared';

/** An operation id was reused for another kind of operation or another request. */
export class ConflictError extends WofleetError {
  constructor(
    readonly operationId: string,
    readonly existingKind: string,
  ) {
    super(`operation id ${operationId} was already used for ${existingKind} with a different request`);
  }
}

/** The registry is closing (graceful shutdown): it starts no new operation. */
export class ShuttingDownError extends WofleetError {
  constructor(readonly operationId: string) {
    super(`the agent is shutting down: operation ${operationId} was not started`);
  }
}
