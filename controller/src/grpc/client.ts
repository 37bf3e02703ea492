import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { Metadata, status, type ChannelCredentials, type ClientOptions, type ServiceError } from '@grpc/grpc-js';
import {
  loadControllerService,
  type AddReleaseRequestInput,
  type AddServerRequestInput,
  type AddServerResponse,
  type CatalogRelease,
  type ControllerServiceClient,
  type GetServerRequestInput,
  type GetServerResponse,
  type ListFleetReleasesResponse,
  type ListFleetSitesRequestInput,
  type ListFleetSitesResponse,
  type ListServersRequestInput,
  type ListServersResponse,
} from '@wofleet/proto';
import { FLEET_ROLE, loadTlsMaterial, NotFoundError, StateError, UsageError, WofleetError } from '@wofleet/shared';
import type { ClientSettings } from '../config/client.js';
import { operatorChannelCredentials } from './credentials.js';
import { TOKEN_TTL_METADATA_KEY } from './metadata.js';

/** The `wofleet` CLI's side of ControllerService: one promise per RPC, errors as wofleet errors. */
export interface ControllerApi {
  /** host:port it talks to. */
  address: string;
  /** The operator the certificate names. */
  operator: string;
  /** SHA-256 of the fleet CA the CLI trusts (AB:CD:...): the pin agents enroll with. */
  caFingerprint: string;
  addServer(request: AddServerRequestInput, tokenTtlMs?: number): Promise<AddServerResponse>;
  listServers(request: ListServersRequestInput): Promise<ListServersResponse>;
  getServer(request: GetServerRequestInput): Promise<GetServerResponse>;
  removeServer(name: string): Promise<void>;
  listSites(request: ListFleetSitesRequestInput): Promise<ListFleetSitesResponse>;
  addRelease(request: AddReleaseRequestInput): Promise<CatalogRelease>;
  listReleases(): Promise<ListFleetReleasesResponse>;
  close(): void;
}

export const DEFAULT_CALL_TIMEOUT_MS = 15_000;

/** The controller answered with an error the CLI does not tell apart further, or could not be reached. */
export class ControllerCallError extends WofleetError {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** The operator's side of a TLS channel to the controller, shared by every service client. */
export interface OperatorChannel {
  address: string;
  credentials: ChannelCredentials;
  options: ClientOptions;
  operator: string;
  caPem: string;
}

export async function openOperatorChannel(settings: ClientSettings): Promise<OperatorChannel> {
  const tls = await loadTlsMaterial(
    { caFile: settings.caFile, certFile: settings.certFile, keyFile: settings.keyFile },
    { expectRole: FLEET_ROLE.operator },
  );
  return {
    address: settings.controller,
    credentials: operatorChannelCredentials(tls),
    options: channelOptions(settings.controller),
    operator: tls.identity.name,
    caPem: tls.caPem,
  };
}

export type UnaryStart<Res> = (metadata: Metadata, deadline: Date, done: (err: ServiceError | null, value?: Res) => void) => void;

/** One unary call with a deadline, its failure mapped to the wofleet error kind (fromServiceError). */
export function unaryInvoker(address: string, timeoutMs: number) {
  return function invoke<Res>(start: UnaryStart<Res>, metadata = new Metadata()): Promise<Res> {
    return new Promise((resolve, reject) => {
      start(metadata, new Date(Date.now() + timeoutMs), (err, value) => {
        if (err) reject(fromServiceError(err, address, timeoutMs));
        else if (value === undefined) reject(new ControllerCallError(status.INTERNAL, `the controller at ${address} sent an empty answer`));
        else resolve(value);
      });
    });
  };
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
    addServer: (request, tokenTtlMs) => {
      const metadata = new Metadata();
      if (tokenTtlMs !== undefined) metadata.set(TOKEN_TTL_METADATA_KEY, String(Math.round(tokenTtlMs / 1000)));
      return invoke((m, deadline, done) => client.AddServer(request, m, { deadline }, done), metadata);
    },
    listServers: (request) => invoke((m, deadline, done) => client.ListServers(request, m, { deadline }, done)),
    getServer: (request) => invoke((m, deadline, done) => client.GetServer(request, m, { deadline }, done)),
    removeServer: async (name) => {
      await invoke((m, deadline, done) => client.RemoveServer({ name }, m, { deadline }, done));
    },
    listSites: (request) => invoke((m, deadline, done) => client.ListSites(request, m, { deadline }, done)),
    addRelease: (request) => invoke((m, deadline, done) => client.AddRelease(request, m, { deadline }, done)),
    listReleases: () => invoke((m, deadline, done) => client.ListReleases({}, m, { deadline }, done)),
    close: () => client.close(),
  };
}

/**
 * grpc-js sends the target host as TLS server name even when it is an IP address, which
 * Node warns about on stderr. The controller does not look at the name (and the client
 * checks the controller's role, not its host name), so an IP target sends a fixed one.
 */
export function channelOptions(address: string, tlsName = CONTROLLER_TLS_NAME): ClientOptions {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return isIP(host) ? { 'grpc.ssl_target_name_override': tlsName } : {};
}

const CONTROLLER_TLS_NAME = 'wofleet-controller';

/** A gRPC failure as the error kind the CLI turns into its exit code (2 for bad input, else 1). */
export function fromServiceError(err: ServiceError, address: string, timeoutMs: number): WofleetError {
  const details = err.details || err.message;
  switch (err.code) {
    case status.INVALID_ARGUMENT:
      return new UsageError(details);
    case status.NOT_FOUND:
      return new NotFoundError(details);
    case status.ALREADY_EXISTS:
    case status.FAILED_PRECONDITION:
      return new StateError(details);
    case status.UNAVAILABLE:
      return new ControllerCallError(err.code, `cannot reach the controller at ${address}: ${details}`);
    case status.DEADLINE_EXCEEDED:
      return new ControllerCallError(err.code, `the controller at ${address} did not answer within ${timeoutMs / 1000}s`);
    default:
      return new ControllerCallError(err.code, `the controller refused: ${details}`);
  }
}
