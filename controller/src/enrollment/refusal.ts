import { WofleetError } from '@wofleet/shared';

/**
 * Why an enrollment was refused. Each reason has one message: the agent prints it
 * as is, so it must tell the operator what to do.
 */
export const ENROLLMENT_REFUSAL = {
  unknown: 'unknown',
  used: 'used',
  expired: 'expired',
  wrongServer: 'wrong-server',
} as const;
export type EnrollmentRefusal = (typeof ENROLLMENT_REFUSAL)[keyof typeof ENROLLMENT_REFUSAL];

const MESSAGES: Record<Exclude<EnrollmentRefusal, 'wrong-server'>, string> = {
  unknown: 'enrollment token not recognised (mistyped, forged, or issued by another controller)',
  used: "enrollment token already used: ask for a new one ('wofleet servers token NAME')",
  expired: "enrollment token expired: ask for a new one ('wofleet servers token NAME')",
};

/** The controller refused an enrollment; nothing was written. */
export class EnrollmentRefusedError extends WofleetError {
  constructor(
    readonly reason: EnrollmentRefusal,
    message: string,
  ) {
    super(message);
  }

  static because(reason: Exclude<EnrollmentRefusal, 'wrong-server'>): EnrollmentRefusedError {
    return new EnrollmentRefusedError(reason, MESSAGES[reason]);
  }

  static wrongServer(tokenServer: string, requested: string): EnrollmentRefusedError {
    return new EnrollmentRefusedError(
      ENROLLMENT_REFUSAL.wrongServer,
      `enrollment token was issued for server '${tokenServer}', not '${requested}' (check serverId in the agent config)`,
    );
  }
}
