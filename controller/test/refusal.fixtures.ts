import { expect } from 'vitest';
import { UsageError } from '@wofleet/shared';

/** The message of the UsageError `parse` throws (an operator mistake: exit 2, one line); fails when it accepts. */
export function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}
