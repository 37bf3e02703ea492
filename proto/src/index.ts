/**
 * @wofleet/proto: the gRPC contract of wofleet (DESIGN §2). The .proto files in
 * wofleet/v1/ are the only definition of the wire format; the TypeScript types below
 * are generated from them at build time (src/generated/, not committed).
 *
 * Naming of the message types (see PROTO_LOADER_OPTIONS for the field conventions):
 * - `Foo` is a message as received (a handler's request, a client's response): every
 *   field present, lowerCamelCase, int64 as number, enums as their names.
 * - `FooInput` is a message as sent (a client's request, a handler's response): every
 *   field optional; unset fields go on the wire as their defaults.
 *
 * The caller's certificate in a handler (grpc-js >= 1.10):
 *   `call.getAuthContext().sslPeerCertificate?.raw` (DER Buffer; undefined without TLS
 *   or client certificate), then `peerIdentity(raw)` from @wofleet/shared.
 */
export {
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
  PROTO_ROOT,
  loadAgentService,
  loadControllerService,
  loadRolloutService,
  type AgentServiceBinding,
  type AgentServiceClientConstructor,
  type ControllerServiceBinding,
  type ControllerServiceClientConstructor,
  type RolloutServiceBinding,
  type RolloutServiceClientConstructor,
} from './load.js';
export {
  CANARY_CHANGE,
  HEALTH_LEVEL,
  OPERATION_KIND,
  OPERATION_STATE,
  RELEASE_MARK,
  SERVER_STATE,
  SITE_LINK,
  isTerminalOperationState,
  type CanaryChange,
  type HealthLevel,
  type OperationKind,
  type OperationState,
  type ReleaseMark,
  type ServerState,
  type SiteLink,
} from './enums.js';

// AgentService: served by the agent daemon, called by the controller.
export type { AgentServiceClient, AgentServiceDefinition, AgentServiceHandlers } from './generated/wofleet/v1/AgentService.js';
export type {
  GetStatusRequest__Output as GetStatusRequest,
  GetStatusRequest as GetStatusRequestInput,
} from './generated/wofleet/v1/GetStatusRequest.js';
export type {
  ReleaseSummary__Output as ReleaseSummary,
  ReleaseSummary as ReleaseSummaryInput,
} from './generated/wofleet/v1/ReleaseSummary.js';
export type { HealthCounts__Output as HealthCounts, HealthCounts as HealthCountsInput } from './generated/wofleet/v1/HealthCounts.js';
export type { DiskUsage__Output as DiskUsage, DiskUsage as DiskUsageInput } from './generated/wofleet/v1/DiskUsage.js';
export type { UpdateSummary__Output as UpdateSummary, UpdateSummary as UpdateSummaryInput } from './generated/wofleet/v1/UpdateSummary.js';
export type { AgentStatus__Output as AgentStatus, AgentStatus as AgentStatusInput } from './generated/wofleet/v1/AgentStatus.js';
export type {
  ListSitesRequest__Output as ListSitesRequest,
  ListSitesRequest as ListSitesRequestInput,
} from './generated/wofleet/v1/ListSitesRequest.js';
export type { Site__Output as Site, Site as SiteInput } from './generated/wofleet/v1/Site.js';
export type {
  ListSitesResponse__Output as ListSitesResponse,
  ListSitesResponse as ListSitesResponseInput,
} from './generated/wofleet/v1/ListSitesResponse.js';
export type {
  CheckHealthRequest__Output as CheckHealthRequest,
  CheckHealthRequest as CheckHealthRequestInput,
} from './generated/wofleet/v1/CheckHealthRequest.js';
export type { HealthCheck__Output as HealthCheck, HealthCheck as HealthCheckInput } from './generated/wofleet/v1/HealthCheck.js';
export type { HealthReport__Output as HealthReport, HealthReport as HealthReportInput } from './generated/wofleet/v1/HealthReport.js';
export type {
  ListReleasesRequest__Output as ListReleasesRequest,
  ListReleasesRequest as ListReleasesRequestInput,
} from './generated/wofleet/v1/ListReleasesRequest.js';
export type { Release__Output as Release, Release as ReleaseInput } from './generated/wofleet/v1/Release.js';
export type { Digest__Output as WireDigest, Digest as WireDigestInput } from './generated/wofleet/v1/Digest.js';
export type {
  StageReleaseResult__Output as StageReleaseResult,
  StageReleaseResult as StageReleaseResultInput,
} from './generated/wofleet/v1/StageReleaseResult.js';
export type {
  ListReleasesResponse__Output as ListReleasesResponse,
  ListReleasesResponse as ListReleasesResponseInput,
} from './generated/wofleet/v1/ListReleasesResponse.js';
export type {
  GetBaselineRequest__Output as GetBaselineRequest,
  GetBaselineRequest as GetBaselineRequestInput,
} from './generated/wofleet/v1/GetBaselineRequest.js';
export type { Baseline__Output as Baseline, Baseline as BaselineInput } from './generated/wofleet/v1/Baseline.js';
export type {
  StageReleaseRequest__Output as StageReleaseRequest,
  StageReleaseRequest as StageReleaseRequestInput,
} from './generated/wofleet/v1/StageReleaseRequest.js';
export type {
  ActivateRequest__Output as ActivateRequest,
  ActivateRequest as ActivateRequestInput,
} from './generated/wofleet/v1/ActivateRequest.js';
export type {
  RollbackRequest__Output as RollbackRequest,
  RollbackRequest as RollbackRequestInput,
} from './generated/wofleet/v1/RollbackRequest.js';
export type {
  UpgradeDbRequest__Output as UpgradeDbRequest,
  UpgradeDbRequest as UpgradeDbRequestInput,
} from './generated/wofleet/v1/UpgradeDbRequest.js';
export type { PruneRequest__Output as PruneRequest, PruneRequest as PruneRequestInput } from './generated/wofleet/v1/PruneRequest.js';
export type {
  CreateSiteRequest__Output as CreateSiteRequest,
  CreateSiteRequest as CreateSiteRequestInput,
} from './generated/wofleet/v1/CreateSiteRequest.js';
export type {
  ConvertSiteRequest__Output as ConvertSiteRequest,
  ConvertSiteRequest as ConvertSiteRequestInput,
} from './generated/wofleet/v1/ConvertSiteRequest.js';
export type {
  RemoveSiteRequest__Output as RemoveSiteRequest,
  RemoveSiteRequest as RemoveSiteRequestInput,
} from './generated/wofleet/v1/RemoveSiteRequest.js';
export type {
  StagePackageRequest__Output as StagePackageRequest,
  StagePackageRequest as StagePackageRequestInput,
} from './generated/wofleet/v1/StagePackageRequest.js';
export type {
  InstallPackageRequest__Output as InstallPackageRequest,
  InstallPackageRequest as InstallPackageRequestInput,
} from './generated/wofleet/v1/InstallPackageRequest.js';
export type {
  SetBaselineRequest__Output as SetBaselineRequest,
  SetBaselineRequest as SetBaselineRequestInput,
} from './generated/wofleet/v1/SetBaselineRequest.js';
export type { Operation__Output as Operation, Operation as OperationInput } from './generated/wofleet/v1/Operation.js';
export type {
  GetOperationRequest__Output as GetOperationRequest,
  GetOperationRequest as GetOperationRequestInput,
} from './generated/wofleet/v1/GetOperationRequest.js';
export type {
  WatchOperationRequest__Output as WatchOperationRequest,
  WatchOperationRequest as WatchOperationRequestInput,
} from './generated/wofleet/v1/WatchOperationRequest.js';
export type {
  OperationEvent__Output as OperationEvent,
  OperationEvent as OperationEventInput,
} from './generated/wofleet/v1/OperationEvent.js';

// ControllerService: served by the controller, called by agents (Enroll) and the CLI.
export type {
  ControllerServiceClient,
  ControllerServiceDefinition,
  ControllerServiceHandlers,
} from './generated/wofleet/v1/ControllerService.js';
export type { EnrollRequest__Output as EnrollRequest, EnrollRequest as EnrollRequestInput } from './generated/wofleet/v1/EnrollRequest.js';
export type {
  EnrollResponse__Output as EnrollResponse,
  EnrollResponse as EnrollResponseInput,
} from './generated/wofleet/v1/EnrollResponse.js';
export type { Server__Output as Server, Server as ServerInput } from './generated/wofleet/v1/Server.js';
export type {
  ListServersRequest__Output as ListServersRequest,
  ListServersRequest as ListServersRequestInput,
} from './generated/wofleet/v1/ListServersRequest.js';
export type {
  ListServersResponse__Output as ListServersResponse,
  ListServersResponse as ListServersResponseInput,
} from './generated/wofleet/v1/ListServersResponse.js';
export type {
  GetServerRequest__Output as GetServerRequest,
  GetServerRequest as GetServerRequestInput,
} from './generated/wofleet/v1/GetServerRequest.js';
export type {
  GetServerResponse__Output as GetServerResponse,
  GetServerResponse as GetServerResponseInput,
} from './generated/wofleet/v1/GetServerResponse.js';
export type {
  AddServerRequest__Output as AddServerRequest,
  AddServerRequest as AddServerRequestInput,
} from './generated/wofleet/v1/AddServerRequest.js';
export type {
  AddServerResponse__Output as AddServerResponse,
  AddServerResponse as AddServerResponseInput,
} from './generated/wofleet/v1/AddServerResponse.js';
export type {
  UpdateServerRequest__Output as UpdateServerRequest,
  UpdateServerRequest as UpdateServerRequestInput,
} from './generated/wofleet/v1/UpdateServerRequest.js';
export type {
  UpdateServerResponse__Output as UpdateServerResponse,
  UpdateServerResponse as UpdateServerResponseInput,
} from './generated/wofleet/v1/UpdateServerResponse.js';
export type {
  RemoveServerRequest__Output as RemoveServerRequest,
  RemoveServerRequest as RemoveServerRequestInput,
} from './generated/wofleet/v1/RemoveServerRequest.js';
export type {
  RemoveServerResponse__Output as RemoveServerResponse,
  RemoveServerResponse as RemoveServerResponseInput,
} from './generated/wofleet/v1/RemoveServerResponse.js';
export type {
  RenewCertificateRequest__Output as RenewCertificateRequest,
  RenewCertificateRequest as RenewCertificateRequestInput,
} from './generated/wofleet/v1/RenewCertificateRequest.js';
export type {
  RenewCertificateResponse__Output as RenewCertificateResponse,
  RenewCertificateResponse as RenewCertificateResponseInput,
} from './generated/wofleet/v1/RenewCertificateResponse.js';
export type {
  ListRevocationsRequest__Output as ListRevocationsRequest,
  ListRevocationsRequest as ListRevocationsRequestInput,
} from './generated/wofleet/v1/ListRevocationsRequest.js';
export type {
  ListRevocationsResponse__Output as ListRevocationsResponse,
  ListRevocationsResponse as ListRevocationsResponseInput,
} from './generated/wofleet/v1/ListRevocationsResponse.js';
export type {
  IssueEnrollmentTokenRequest__Output as IssueEnrollmentTokenRequest,
  IssueEnrollmentTokenRequest as IssueEnrollmentTokenRequestInput,
} from './generated/wofleet/v1/IssueEnrollmentTokenRequest.js';
export type {
  FleetCertificate__Output as FleetCertificate,
  FleetCertificate as FleetCertificateInput,
} from './generated/wofleet/v1/FleetCertificate.js';
export type {
  ListCertificatesRequest__Output as ListCertificatesRequest,
  ListCertificatesRequest as ListCertificatesRequestInput,
} from './generated/wofleet/v1/ListCertificatesRequest.js';
export type {
  ListCertificatesResponse__Output as ListCertificatesResponse,
  ListCertificatesResponse as ListCertificatesResponseInput,
} from './generated/wofleet/v1/ListCertificatesResponse.js';
export type {
  RevokeCertificateRequest__Output as RevokeCertificateRequest,
  RevokeCertificateRequest as RevokeCertificateRequestInput,
} from './generated/wofleet/v1/RevokeCertificateRequest.js';
export type {
  RevokeCertificateResponse__Output as RevokeCertificateResponse,
  RevokeCertificateResponse as RevokeCertificateResponseInput,
} from './generated/wofleet/v1/RevokeCertificateResponse.js';
export type {
  ListAuditRequest__Output as ListAuditRequest,
  ListAuditRequest as ListAuditRequestInput,
} from './generated/wofleet/v1/ListAuditRequest.js';
export type { AuditEvent__Output as AuditEvent, AuditEvent as AuditEventInput } from './generated/wofleet/v1/AuditEvent.js';
export type {
  ListAuditResponse__Output as ListAuditResponse,
  ListAuditResponse as ListAuditResponseInput,
} from './generated/wofleet/v1/ListAuditResponse.js';
export type {
  SyncServerRequest__Output as SyncServerRequest,
  SyncServerRequest as SyncServerRequestInput,
} from './generated/wofleet/v1/SyncServerRequest.js';
export type {
  SyncServerResponse__Output as SyncServerResponse,
  SyncServerResponse as SyncServerResponseInput,
} from './generated/wofleet/v1/SyncServerResponse.js';
export type {
  ListFleetSitesRequest__Output as ListFleetSitesRequest,
  ListFleetSitesRequest as ListFleetSitesRequestInput,
} from './generated/wofleet/v1/ListFleetSitesRequest.js';
export type { FleetSite__Output as FleetSite, FleetSite as FleetSiteInput } from './generated/wofleet/v1/FleetSite.js';
export type {
  ListFleetSitesResponse__Output as ListFleetSitesResponse,
  ListFleetSitesResponse as ListFleetSitesResponseInput,
} from './generated/wofleet/v1/ListFleetSitesResponse.js';
export type {
  AddReleaseRequest__Output as AddReleaseRequest,
  AddReleaseRequest as AddReleaseRequestInput,
} from './generated/wofleet/v1/AddReleaseRequest.js';
export type {
  CatalogRelease__Output as CatalogRelease,
  CatalogRelease as CatalogReleaseInput,
} from './generated/wofleet/v1/CatalogRelease.js';
export type {
  ListFleetReleasesRequest__Output as ListFleetReleasesRequest,
  ListFleetReleasesRequest as ListFleetReleasesRequestInput,
} from './generated/wofleet/v1/ListFleetReleasesRequest.js';
export type {
  ListFleetReleasesResponse__Output as ListFleetReleasesResponse,
  ListFleetReleasesResponse as ListFleetReleasesResponseInput,
} from './generated/wofleet/v1/ListFleetReleasesResponse.js';

// RolloutService: served by the controller, called by the CLI (`wofleet rollout`).
export type { RolloutServiceClient, RolloutServiceDefinition, RolloutServiceHandlers } from './generated/wofleet/v1/RolloutService.js';
export { RolloutState as ROLLOUT_STATE, type RolloutState__Output as RolloutState } from './generated/wofleet/v1/RolloutState.js';
export {
  RolloutWaveState as ROLLOUT_WAVE_STATE,
  type RolloutWaveState__Output as RolloutWaveState,
} from './generated/wofleet/v1/RolloutWaveState.js';
export {
  RolloutTargetState as ROLLOUT_TARGET_STATE,
  type RolloutTargetState__Output as RolloutTargetState,
} from './generated/wofleet/v1/RolloutTargetState.js';
export { RolloutAction as ROLLOUT_ACTION, type RolloutAction__Output as RolloutAction } from './generated/wofleet/v1/RolloutAction.js';
export {
  RolloutEventScope as ROLLOUT_EVENT_SCOPE,
  type RolloutEventScope__Output as RolloutEventScope,
} from './generated/wofleet/v1/RolloutEventScope.js';
export type {
  RolloutRequest__Output as RolloutRequest,
  RolloutRequest as RolloutRequestInput,
} from './generated/wofleet/v1/RolloutRequest.js';
export type {
  GetRolloutRequest__Output as GetRolloutRequest,
  GetRolloutRequest as GetRolloutRequestInput,
} from './generated/wofleet/v1/GetRolloutRequest.js';
export type {
  ListRolloutsRequest__Output as ListRolloutsRequest,
  ListRolloutsRequest as ListRolloutsRequestInput,
} from './generated/wofleet/v1/ListRolloutsRequest.js';
export type {
  ListRolloutsResponse__Output as ListRolloutsResponse,
  ListRolloutsResponse as ListRolloutsResponseInput,
} from './generated/wofleet/v1/ListRolloutsResponse.js';
export type {
  ActOnRolloutRequest__Output as ActOnRolloutRequest,
  ActOnRolloutRequest as ActOnRolloutRequestInput,
} from './generated/wofleet/v1/ActOnRolloutRequest.js';
export type {
  WatchRolloutRequest__Output as WatchRolloutRequest,
  WatchRolloutRequest as WatchRolloutRequestInput,
} from './generated/wofleet/v1/WatchRolloutRequest.js';
export type { WaveSize__Output as WaveSize, WaveSize as WaveSizeInput } from './generated/wofleet/v1/WaveSize.js';
export type { FailureBudget__Output as FailureBudget, FailureBudget as FailureBudgetInput } from './generated/wofleet/v1/FailureBudget.js';
export type {
  MaintenanceWindow__Output as MaintenanceWindow,
  MaintenanceWindow as MaintenanceWindowInput,
} from './generated/wofleet/v1/MaintenanceWindow.js';
export type {
  RolloutSettings__Output as RolloutSettings,
  RolloutSettings as RolloutSettingsInput,
} from './generated/wofleet/v1/RolloutSettings.js';
export type { PlannedWave__Output as PlannedWave, PlannedWave as PlannedWaveInput } from './generated/wofleet/v1/PlannedWave.js';
export type { RolloutPlan__Output as RolloutPlan, RolloutPlan as RolloutPlanInput } from './generated/wofleet/v1/RolloutPlan.js';
export type { RolloutWave__Output as RolloutWave, RolloutWave as RolloutWaveInput } from './generated/wofleet/v1/RolloutWave.js';
export type { RolloutTarget__Output as RolloutTarget, RolloutTarget as RolloutTargetInput } from './generated/wofleet/v1/RolloutTarget.js';
export type { Rollout__Output as Rollout, Rollout as RolloutInput } from './generated/wofleet/v1/Rollout.js';
export type { RolloutEvent__Output as RolloutEvent, RolloutEvent as RolloutEventInput } from './generated/wofleet/v1/RolloutEvent.js';
export type {
  RolloutChanges__Output as RolloutChanges,
  RolloutChanges as RolloutChangesInput,
} from './generated/wofleet/v1/RolloutChanges.js';
export type { RolloutUpdate__Output as RolloutUpdate, RolloutUpdate as RolloutUpdateInput } from './generated/wofleet/v1/RolloutUpdate.js';

// The version handshake every wofleet client and server does (docs/COMPATIBILITY.md).
export { versionClientInterceptor, versionServerInterceptor, type VersionCheck } from './version-metadata.js';
export type {
  AgentPackage__Output as AgentPackage,
  AgentPackage as AgentPackageInput,
} from './generated/wofleet/v1/AgentPackage.js';
export type {
  AgentPackageChunk__Output as AgentPackageChunk,
  AgentPackageChunk as AgentPackageChunkInput,
} from './generated/wofleet/v1/AgentPackageChunk.js';
export type {
  FetchAgentPackageRequest__Output as FetchAgentPackageRequest,
  FetchAgentPackageRequest as FetchAgentPackageRequestInput,
} from './generated/wofleet/v1/FetchAgentPackageRequest.js';
export type {
  ListAgentPackagesResponse__Output as ListAgentPackagesResponse,
  ListAgentPackagesResponse as ListAgentPackagesResponseInput,
} from './generated/wofleet/v1/ListAgentPackagesResponse.js';
export type {
  UpgradeAgentsRequest__Output as UpgradeAgentsRequest,
  UpgradeAgentsRequest as UpgradeAgentsRequestInput,
} from './generated/wofleet/v1/UpgradeAgentsRequest.js';
