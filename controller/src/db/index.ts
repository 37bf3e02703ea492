/** The controller's database: open, migrate, and one small function per SQL operation. */
export {
  openDatabase,
  describeDatabaseUrl,
  DatabaseUnavailableError,
  type Database,
  type DatabaseKind,
  type OpenDatabase,
  type OpenDatabaseOptions,
} from './database.js';
export { migrate, MigrationError, MIGRATIONS_DIR } from './migrate.js';
export {
  SERVER_STATUS,
  HEALTH,
  OPERATION_STATE,
  isTerminalOperationState,
  tables,
  type ServerStatus,
  type Health,
  type OperationState,
  type FinalOperationState,
  type Tables,
} from './schema/index.js';
export {
  insertServer,
  findServerByName,
  listServers,
  lockServerByName,
  updateServer,
  removeServer,
  markServerEnrolled,
  recordHeartbeat,
  markOfflineServers,
  statusFromHealth,
  ServerExistsError,
  ServerNotFoundError,
  type ServerListing,
  type ServerRow,
  type NewServer,
  type ServerChange,
  type KeysetPage,
  type HeartbeatReport,
} from './servers.js';
export { setServerNatsKey, listNatsUsers, type NatsUserRow } from './nats-users.js';
export {
  upsertSites,
  replaceServerSites,
  removeSites,
  listSites,
  type SiteRow,
  type SiteReport,
  type FleetSiteRow,
  type SiteKey,
} from './sites.js';
export {
  insertAgentPackage,
  findAgentPackage,
  listAgentPackages,
  readAgentPackageChunk,
  type AgentPackageRow,
  type NewAgentPackage,
} from './agent-packages.js';
export { insertRelease, listReleases, ReleaseExistsError, type ReleaseRow, type NewRelease } from './releases.js';
export {
  insertEnrollmentToken,
  consumeEnrollmentToken,
  TOKEN_REFUSAL,
  type TokenRefusal,
  type ConsumedToken,
} from './enrollment-tokens.js';
export { refusedAsData, isStatementError } from './sql-error.js';
export { countServersByStatus, countCampaignsByState, countActiveTargetsByState, listLeasesHeldBy } from './state-counts.js';
export {
  recordAuditEvent,
  recordAuditEvents,
  listAuditEvents,
  hasAuditSubject,
  type AuditEventRow,
  type AuditFilter,
  type AuditListing,
  type NewAuditEvent,
} from './audit-events.js';
export {
  insertOperation,
  markOperationRunning,
  finishOperation,
  findOperation,
  OperationExistsError,
  type OperationRow,
  type NewOperation,
  type OperationOutcome,
} from './operations.js';
export {
  lockEnrolledServer,
  lockEnrolledServers,
  recordHeartbeats,
  markSilentServersOffline,
  recordSiteRelease,
  recordServerRelease,
  recordServerHealth,
  recordSiteHealth,
  type PresenceFacts,
  type HeartbeatWrite,
  type SilentServer,
} from './presence-queries.js';
export {
  recordIssuedCertificate,
  listIssuedCertificates,
  unrevokedServerSerials,
  findIssuedCertificate,
  insertRevocations,
  isSerialRevoked,
  listRevocations,
  pinRenewedCertificate,
  unpinCertificates,
  findServerById,
  pinnedFingerprints,
  pinnedFingerprintsOf,
  type IssuedCertificateRow,
  type NewIssuedCertificate,
  type CertificateListing,
  type Revocation,
} from './certificates.js';
export {
  enqueueWebhookDeliveries,
  claimDueWebhookDeliveries,
  recordWebhookDelivered,
  recordWebhookFailure,
  listWebhookDeliveries,
  type NewWebhookDelivery,
  type ClaimedWebhookDelivery,
  type WebhookDeliveryRow,
} from './webhook-deliveries.js';
