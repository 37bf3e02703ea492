import { status, type ServiceError } from '@grpc/grpc-js';
import { describeError, LockHeldError, NotFoundError, StateError, UsageError, WofleetError } from '@wofleet/shared';
import { ConflictError, ShuttingDownError } from '../../operations/index.js';

/** One mapping from wofleet's error kinds to gRPC status codes. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const details = describeError(err);
  if (err instanceof UsageError) return { code: status.INVALID_ARGUMENT, details };
  if (err instanceof NotFoundError) return { code: status.NOT_FOUND, details };
  if (err instanceof ConflictError) return { code: status.ALREADY_EXISTS, details };
  if (err instanceof ShuttingDownError) return { code: status.UNAVAILABLE, details };
  if (err instanceof LockHeldError) return { code: status.ABORTED, details };
  if (err instanceof StateError) return { code: status.FAILED_PRECONDITION, details };
  if (err instanceof WofleetError) return { code: status.UNKNOWN, details };
  return { code: status.INTERNAL, details: `internal error: ${details}` };
}
