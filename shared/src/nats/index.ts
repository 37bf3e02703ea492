/**
 * `@wofleet/shared/nats`: a subpath, so that importing @wofleet/shared does not load the NATS client.
 */
export { natsConnectionOptions, RECONNECT_JITTER_MS, RECONNECT_WAIT_MS, type NatsClientSettings } from './options.js';
export { AGENT_SUBJECT_PREFIX, agentInboxPrefix, agentPermissions, type NatsPermissions } from './agent-identity.js';
export { createNatsUser, isNatsUserPublicKey, readNatsSeed, type NatsUser } from './nkey.js';
