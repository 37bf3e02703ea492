import { UsageError } from '../errors.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start a little in the past so a peer whose clock lags still accepts them. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const MAX_VALID_DAYS = 100 * 365;

export interface ValidityOptions {
  validDays: number;
  /** Default: now minus 5 minutes. Tests pass past or future dates to make expired or not-yet-valid certificates. */
  notBefore?: Date;
  now?: Date;
}

export interface ValidityPeriod {
  notBefore: Date;
  notAfter: Date;
}

export function validityPeriod(options: ValidityOptions): ValidityPeriod {
  const { validDays } = options;
  if (!Number.isInteger(validDays) || validDays < 1 || validDays > MAX_VALID_DAYS) {
    throw new UsageError(`validDays must be a whole number of days from 1 to ${MAX_VALID_DAYS}, got ${validDays}`);
  }
  const notBefore = options.notBefore ?? new Date((options.now ?? new Date()).getTime() - CLOCK_SKEW_MS);
  return { notBefore, notAfter: new Date(notBefore.getTime() + validDays * DAY_MS) };
}
