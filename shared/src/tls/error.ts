import { UsageError } from '../errors.js';

/**
 * A certificate, key or CA file that cannot be used: missing, not PEM, expired, not
 * issued by the fleet CA, without a wofleet role. Setting those files up is the
 * operator's job, so this is a usage error (exit 2), like a bad config file.
 */
export class TlsError extends UsageError {}
