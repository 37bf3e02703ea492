/**
 * Error hierarchy shared by every wofleet program. Expected failures (operator
 * mistakes, refused operations, failed checks) are `WofleetError`s: the CLI prints
 * their message on one line and exits with `exitCode`. Anything else is a bug and
 * is logged with its stack.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class WofleetError extends Error {
  readonly exitCode: ExitCode = EXIT.failure;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from the operator or a caller: flags, arguments, config values. */
export class UsageError extends WofleetError {
  override readonly exitCode: ExitCode = EXIT.usage;
}

/** A config file that is missing, unreadable or invalid. */
export class ConfigError extends UsageError {}

/** Another mutating command holds the server lock. */
export class LockHeldError extends WofleetError {
  constructor(
    readonly holderPid: number,
    readonly holderCommand: string,
    message = `another wofleet command is running (pid ${holderPid}: ${holderCommand})`,
  ) {
    super(message);
  }
}

/** A child program exited non-zero, timed out or could not be started. */
export class CommandFailedError extends WofleetError {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode_: number | undefined,
    readonly stdout: string,
    readonly stderr: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A release archive failed digest verification or safe-extraction rules. */
export class IntegrityError extends WofleetError {}

/** A health check, canary check or post-switch verification failed. */
export class HealthCheckError extends WofleetError {}

/** The requested thing does not exist (release, site, server). */
export class NotFoundError extends WofleetError {}

/** The operation conflicts with the current state (not initialised, site in use, ...). */
export class StateError extends WofleetError {}

export function isWofleetError(err: unknown): err is WofleetError {
  return err instanceof WofleetError;
}

/** One-line description of any thrown value, for logs and CLI output. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
