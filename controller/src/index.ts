/** Public entry point of the controller package. */
export * from './db/index.js';
export {
  resolveControllerSettings,
  DEFAULT_DATA_DIR,
  DEFAULT_LISTEN,
  type ControllerSettings,
  type ControllerFlags,
} from './config/controller.js';
export { resolveClientSettings, clientConfigFile, type ClientSettings, type ClientFlags } from './config/client.js';
export { pkiFiles, readFleetCa, readControllerTls, type PkiFiles } from './ca/files.js';
export { initFleetCa, type InitCaOptions, type InitCaResult } from './ca/init.js';
export { issueOperatorCredentials, type IssueOperatorOptions, type OperatorCredentials } from './ca/operator.js';
export { certificateFingerprint, certificateFingerprintHex } from './ca/fingerprint.js';
export { newEnrollmentToken, hashEnrollmentToken, isWellFormedToken, type NewEnrollmentToken } from './enrollment/token.js';
export { EnrollmentRefusedError, ENROLLMENT_REFUSAL, type EnrollmentRefusal } from './enrollment/refusal.js';
export { enrollAgent, type EnrollRequest, type Enrollment } from './enrollment/enroll.js';
export { systemClock, type Clock, type ControllerContext, type Actor } from './context/index.js';
export { addServer, listServerRows, getServerRow, removeServerRow, type AddServerInput, type AddedServer } from './servers/registry.js';
export { addRelease, listReleaseRows } from './releases/catalog.js';
export { listFleetSites, type SiteFilter } from './sites/fleet-sites.js';
export { startController, type RunningController, type StartControllerOptions } from './main/start-controller.js';
export { migrateControllerDatabase } from './main/migrate-database.js';
export { createControllerHandlers } from './api/controller-handlers.js';
export { startControllerServer, type RunningGrpcServer } from './api/server.js';
export { connectController, type ControllerApi } from './client/controller-client.js';
export { ControllerCallError } from './client/channel.js';
export {
  connectAgent,
  AgentUnreachableError,
  AgentCallError,
  DEFAULT_AGENT_CALL_TIMEOUT_MS,
  type AgentApi,
  type AgentTarget,
} from './agents/client.js';
