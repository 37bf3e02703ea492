/**
 * Request and trailing metadata ControllerService uses beside its messages.
 *
 * - `wofleet-token-ttl-seconds` (AddServer request): the enrollment token's lifetime in
 *   whole seconds; absent: 1h. (AddServerRequest has no field for it yet.)
 * - `wofleet-reason` (Enroll error trailer): why an enrollment was refused
 *   (unknown, used, expired, wrong-server), for programs; people read the details.
 */
export const TOKEN_TTL_METADATA_KEY = 'wofleet-token-ttl-seconds';
export const REASON_METADATA_KEY = 'wofleet-reason';
