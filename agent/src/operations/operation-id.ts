import { UsageError } from '@wofleet/shared';

/**
 * Operation ids name journal files (`<id>.json`), so the pattern also keeps
 * them from escaping the journal directory or hiding as dot files.
 */
export const OPERATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function validateOperationId(id: string): string {
  if (typeof id !== 'string' || !OPERATION_ID_PATTERN.test(id)) {
    throw new UsageError(
      `invalid operation id ${JSON.stringify(id)}: use 1-128 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit`,
    );
  }
  return id;
}
