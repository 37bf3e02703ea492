import { X509Certificate } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  loadControllerService,
  type AddReleaseRequestInput,
  type AddServerRequestInput,
  type AddServerResponse,
  type AgentPackage,
  type ListAgentPackagesResponse,
  type Rollout,
  type CatalogRelease,
  type ControllerServiceClient,
  type GetServerRequestInput,
  type GetServerResponse,
  type ListAuditRequestInput,
  type ListAuditResponse,
  type ListCertificatesResponse,
  type ListFleetReleasesRequestInput,
  type ListFleetReleasesResponse,
  type ListFleetSitesRequestInput,
  type ListFleetSitesResponse,
  type ListServersRequestInput,
  type ListServersResponse,
  type RevokeCertificateRequestInput,
  type RevokeCertificateResponse,
  type SyncServerResponse,
  type UpdateServerRequestInput,
  type UpdateServerResponse,
} from '@wofleet/proto';
import type { CampaignRequestText } from '../campaigns/model.js';
import type { ClientSettings } from '../config/client.js';
import { TOKEN_TTL_METADATA_KEY } from '../grpc/metadata.js';
import { toWireRequest } from './rollout-client.js';
import { DEFAULT_CALL_TIMEOUT_MS, fromServiceError, openOperatorChannel, unaryInvoker } from './channel.js';

/** The `wofleet` CLI's side of ControllerService: one promise per RPC, errors as wofleet errors. */
export interface ControllerApi {
  /** host:port it talks to. */
  address: string;
  /** The operator the certificate names. */
  operator: string;
  /** SHA-256 of the fleet CA the CLI trusts (AB:CD:...): the pin agents enroll with. */
  caFingerprint: string;
  addServer(request: AddServerRequestInput, tokenTtlMs?: number): Promise<AddServerResponse>;
  /** One page (page_size, page_token); followPages reads them all. */
  listServers(request: ListServersRequestInput): Promise<ListServersResponse>;
  updateServer(request: UpdateServerRequestInput): Promise<UpdateServerResponse>;
  getServer(request: GetServerRequestInput): Promise<GetServerResponse>;
  /** `force`: even while an active campaign still works on it (its target is skipped). */
  removeServer(name: string, force: boolean): Promise<void>;
  syncServer(name: string): Promise<SyncServerResponse>;
  listSites(request: ListFleetSitesRequestInput): Promise<ListFleetSitesResponse>;
  addRelease(request: AddReleaseRequestInput): Promise<CatalogRelease>;
  listReleases(request?: ListFleetReleasesRequestInput): Promise<ListFleetReleasesResponse>;
  /** A new one-time enrollment token for a registered server (re-enrollment). */
  issueEnrollmentToken(name: string, tokenTtlMs?: number): Promise<AddServerResponse>;
  listCertificates(): Promise<ListCertificatesResponse>;
  revokeCertificate(request: RevokeCertificateRequestInput): Promise<RevokeCertificateResponse>;
  listAudit(request: ListAuditRequestInput): Promise<ListAuditResponse>;
  /** Uploads a wofleet-agent .deb; the controller reads its version and computes its SHA-256. */
  addAgentPackage(file: string): Promise<AgentPackage>;
  listAgentPackages(): Promise<ListAgentPackagesResponse>;
  /** Starts the campaign installing a held agent package (`request.release` is ignored). */
  upgradeAgents(version: string, request: CampaignRequestText): Promise<Rollout>;
  close(): void;
}

export async function connectController(settings: ClientSettings, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<ControllerApi> {
  const channel = await openOperatorChannel(settings);
  const { Client } = loadControllerService();
  const client: ControllerServiceClient = new Client(channel.address, channel.credentials, channel.options);
  const address = channel.address;
  const invoke = unaryInvoker(address, timeoutMs);

  return {
    address,
    operator: channel.operator,
    caFingerprint: new X509Certificate(channel.caPem).fingerprint256,
    addServer: (request, tokenTtlMs) =>
      invoke((m, deadline, done) => client.AddServer(request, m, { deadline }, done), tokenTtlMetadata(tokenTtlMs)),
    listServers: (request) => invoke((m, deadline, done) => client.ListServers(request, m, { deadline }, done)),
    updateServer: (request) => invoke((m, deadline, done) => client.UpdateServer(request, m, { deadline }, done)),
    getServer: (request) => invoke((m, deadline, done) => client.GetServer(request, m, { deadline }, done)),
    removeServer: async (name, force) => {
      await invoke((m, deadline, done) => client.RemoveServer({ name, force }, m, { deadline }, done));
    },
    syncServer: (name) => invoke((m, deadline, done) => client.SyncServer({ name }, m, { deadline }, done)),
    listSites: (request) => invoke((m, deadline, done) => client.ListSites(request, m, { deadline }, done)),
    addRelease: (request) => invoke((m, deadline, done) => client.AddRelease(request, m, { deadline }, done)),
    listReleases: (request = {}) => invoke((m, deadline, done) => client.ListReleases(request, m, { deadline }, done)),
    issueEnrollmentToken: (name, tokenTtlMs) =>
      invoke((m, deadline, done) => client.IssueEnrollmentToken({ name }, m, { deadline }, done), tokenTtlMetadata(tokenTtlMs)),
    listCertificates: () => invoke((m, deadline, done) => client.ListCertificates({}, m, { deadline }, done)),
    revokeCertificate: (request) => invoke((m, deadline, done) => client.RevokeCertificate(request, m, { deadline }, done)),
    listAudit: (request) => invoke((m, deadline, done) => client.ListAudit(request, m, { deadline }, done)),
    async addAgentPackage(file) {
      const chunks = createReadStream(file, { highWaterMark: UPLOAD_CHUNK_BYTES });
      return new Promise<AgentPackage>((resolve, reject) => {
        const upload = client.AddAgentPackage({ deadline: new Date(Date.now() + UPLOAD_TIMEOUT_MS) }, (err: ServiceError | null, value) => {
          if (err) reject(fromServiceError(err, address, UPLOAD_TIMEOUT_MS));
          else if (value) resolve(value);
        });
        chunks.on('data', (data) => {
          if (!upload.write({ data })) chunks.pause();
        });
        upload.on('drain', () => chunks.resume());
        chunks.on('end', () => upload.end());
        chunks.on('error', (err) => {
          upload.cancel();
          reject(err);
        });
      });
    },
    listAgentPackages: () => invoke((m, deadline, done) => client.ListAgentPackages({}, m, { deadline }, done)),
    upgradeAgents: (version, rollout) =>
      invoke((m, deadline, done) => client.UpgradeAgents({ version, rollout: toWireRequest(rollout) }, m, { deadline }, done)),
    close: () => client.close(),
  };
}

/** Under the controller's 1 MiB message limit with room for framing. */
const UPLOAD_CHUNK_BYTES = 512 * 1024;
const UPLOAD_TIMEOUT_MS = 5 * 60_000;

function tokenTtlMetadata(tokenTtlMs: number | undefined): Metadata {
  const metadata = new Metadata();
  if (tokenTtlMs !== undefined) metadata.set(TOKEN_TTL_METADATA_KEY, String(Math.round(tokenTtlMs / 1000)));
  return metadata;
}
