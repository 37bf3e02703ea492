import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describeError, NotFoundError, StateError, UsageError, WofleetError } from '@wofleet/shared';
import { ReleaseExistsError, ServerExistsError } from '../db/index.js';
import { EnrollmentRefusedError } from '../enrollment/refusal.js';
import { REASON_METADATA_KEY } from '../grpc/metadata.js';

/** One mapping from wofleet's error kinds to gRPC status codes (and back, for the CLI). */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const details = describeError(err);
  if (err instanceof EnrollmentRefusedError) return withReason(status.UNAUTHENTICATED, details, err.reason);
  if (err instanceof UsageError) return { code: status.INVALID_ARGUMENT, details };
  if (err instanceof NotFoundError) return { code: status.NOT_FOUND, details };
  if (err instanceof ServerExistsError || err instanceof ReleaseExistsError) return { code: status.ALREADY_EXISTS, details };
  if (err instanceof StateError) return { code: status.FAILED_PRECONDITION, details };
  if (err instanceof WofleetError) return { code: status.UNKNOWN, details };
  return { code: status.INTERNAL, details: `internal error: ${details}` };
}

function withReason(code: status, details: string, reason: string): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(REASON_METADATA_KEY, reason);
  return { code, details, metadata };
}
