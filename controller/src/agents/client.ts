import { createSecureContext, type SecureContext } from 'node:tls';
import { connectivityState, credentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  isTerminalOperationState,
  loadAgentService,
  type ActivateRequestInput,
  type AgentServiceClient,
  type AgentStatus,
  type CheckHealthRequestInput,
  type HealthReport,
  type ListReleasesResponse,
  type ListSitesResponse,
  type Operation,
  type OperationEvent,
  type InstallPackageRequestInput,
  type RollbackRequestInput,
  type StagePackageRequestInput,
  type StageReleaseRequestInput,
  type UpgradeDbRequestInput,
} from '@wofleet/proto';
import { channelOptions, channelTarget } from '../grpc/channel-options.js';
import { FLEET_ROLE, identityFromAltNames, NotFoundError, StateError, UsageError, WofleetError, type TlsMaterial } from '@wofleet/shared';

/**
 * The controller's side of AgentService: one promise per RPC, a deadline on every call,
 * failures as wofleet errors. The controller presents its own certificate (role
 * controller) and accepts only the agent its inventory names: a server certificate of
 * role agent with that server's name, signed by the fleet CA.
 */
export interface AgentApi {
  /** Server name (the agent's serverId) and host:port. */
  readonly server: string;
  readonly address: string;
  getStatus(): Promise<AgentStatus>;
  listSites(): Promise<ListSitesResponse>;
  checkHealth(request?: CheckHealthRequestInput): Promise<HealthReport>;
  listReleases(): Promise<ListReleasesResponse>;
  stageRelease(request: StageReleaseRequestInput): Promise<Operation>;
  activate(request: ActivateRequestInput): Promise<Operation>;
  rollback(request: RollbackRequestInput): Promise<Operation>;
  upgradeDb(request: UpgradeDbRequestInput): Promise<Operation>;
  /** `wofleet agents upgrade`: the agent fetches a package from the controller, then installs it (and restarts on it). */
  stagePackage(request: StagePackageRequestInput): Promise<Operation>;
  installPackage(request: InstallPackageRequestInput): Promise<Operation>;
  getOperation(operationId: string): Promise<Operation>;
  /**
   * Follows an operation's progress until the agent ends the stream (once the
   * operation is terminal), calling onEvent for each event; resolves with the
   * operation as GetOperation then has it. `timeoutMs` bounds the whole watch;
   * `signal` cancels it (the promise then rejects with the signal's reason).
   */
  watchOperation(operationId: string, timeoutMs: number, options?: WatchOperationOptions): Promise<Operation>;
  /**
   * Opens the connection ahead of the next call (pins read first, as before a call), so
   * a step about to start does not wait for its TLS handshake; nothing is sent. Never
   * fails: a connection that cannot be made shows in the call that follows.
   */
  connect(): void;
  close(): void;
}

export interface WatchOperationOptions {
  onEvent?: (event: OperationEvent) => void;
  signal?: AbortSignal;
}

export interface AgentTarget {
  /** The server's name: also the name its agent certificate must carry. */
  server: string;
  /** host:port of the agent's gRPC endpoint. */
  address: string;
}

/**
 * The agent certificates (SHA-256, hex) the controller accepts from a server: the one
 * recorded at its enrollment or last renewal, and the one before while the agent
 * switches. Anything else the fleet CA signed for that name is refused (pinning).
 */
export type AgentPins = (server: string) => Promise<readonly string[]>;

export const DEFAULT_AGENT_CALL_TIMEOUT_MS = 10_000;
/** A deep CheckHealth renders every site's front page: it may take longer than a plain call. */
export const DEEP_HEALTH_TIMEOUT_MS = 60_000;

/** The agent could not be reached (down, refused, unresolvable, or silent past the deadline). */
export class AgentUnreachableError extends WofleetError {
  constructor(
    readonly server: string,
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/** The agent answered with an error the controller does not tell apart further. */
export class AgentCallError extends WofleetError {
  constructor(
    readonly server: string,
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Opens a channel to one agent (lazily: nothing is sent before the first call).
 * `tls` is the controller's own material (CA, certificate of role controller, key).
 */
export function connectAgent(
  target: AgentTarget,
  tls: Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>,
  pins: AgentPins,
  timeoutMs = DEFAULT_AGENT_CALL_TIMEOUT_MS,
): AgentApi {
  const Client = loadAgentService().Client; // built once per process (proto load.ts)
  let pinned: ReadonlySet<string> = new Set();
  const client: AgentServiceClient = new Client(
    channelTarget(target.address),
    controllerChannelCredentials(tls, target.server, () => pinned),
    // A pool of its own: channels to different agents never share a connection, and
    // closing a channel of the process-wide pool scans every subchannel the process ever
    // opened (grpc-js keeps their keys), quadratic over a 10,000-server campaign.
    { ...channelOptions(target.address, 'wofleet-agent'), 'grpc.use_local_subchannel_pool': 1 },
  );
  // Read before every call that may have to connect: a connection made (or remade) then
  // is checked against the pins as they are now, whichever controller renewed or revoked
  // the certificate. A READY channel's connection was checked when it was made; the calls
  // of a campaign step over it do not each ask Postgres again.
  // A call made while connect()'s read is under way waits for that read, not a second one.
  let reading: Promise<void> | undefined;
  const refreshPins = (): Promise<void> => {
    if (client.getChannel().getConnectivityState(false) === connectivityState.READY) return Promise.resolve();
    reading ??= pins(target.server).then(
      (fingerprints) => {
        pinned = new Set(fingerprints);
        reading = undefined;
      },
      (err: unknown) => {
        reading = undefined;
        throw err;
      },
    );
    return reading;
  };
  const describe = `agent ${target.server} at ${target.address}`;

  function fail(err: ServiceError, limitMs: number): WofleetError {
    return fromAgentError(err, target.server, describe, limitMs);
  }

  function unary<Res>(
    start: (deadline: Date, done: (err: ServiceError | null, value?: Res) => void) => void,
    limitMs = timeoutMs,
  ): Promise<Res> {
    return refreshPins().then(
      () =>
        new Promise((resolve, reject) => {
          start(new Date(Date.now() + limitMs), (err, value) => {
            if (err) reject(fail(err, limitMs));
            else if (value === undefined) reject(new AgentCallError(target.server, status.INTERNAL, `${describe} sent an empty answer`));
            else resolve(value);
          });
        }),
    );
  }

  const getOperation = (operationId: string) =>
    unary<Operation>((deadline, done) => client.GetOperation({ operationId }, { deadline }, done));

  return {
    server: target.server,
    address: target.address,
    getStatus: () => unary((deadline, done) => client.GetStatus({}, { deadline }, done)),
    listSites: () => unary((deadline, done) => client.ListSites({}, { deadline }, done)),
    checkHealth: (request = {}) =>
      unary(
        (deadline, done) => client.CheckHealth(request, { deadline }, done),
        request.deep ? Math.max(timeoutMs, DEEP_HEALTH_TIMEOUT_MS) : timeoutMs,
      ),
    listReleases: () => unary((deadline, done) => client.ListReleases({}, { deadline }, done)),
    stageRelease: (request) => unary((deadline, done) => client.StageRelease(request, { deadline }, done)),
    activate: (request) => unary((deadline, done) => client.Activate(request, { deadline }, done)),
    rollback: (request) => unary((deadline, done) => client.Rollback(request, { deadline }, done)),
    upgradeDb: (request) => unary((deadline, done) => client.UpgradeDb(request, { deadline }, done)),
    stagePackage: (request) => unary((deadline, done) => client.StagePackage(request, { deadline }, done)),
    installPackage: (request) => unary((deadline, done) => client.InstallPackage(request, { deadline }, done)),
    getOperation,
    async watchOperation(operationId, watchTimeoutMs, { onEvent, signal } = {}) {
      signal?.throwIfAborted();
      await refreshPins();
      // The agent's terminal event carries the operation; an older agent's is asked with GetOperation.
      let final: Operation | undefined;
      await new Promise<void>((resolve, reject) => {
        const stream = client.WatchOperation({ operationId }, { deadline: new Date(Date.now() + watchTimeoutMs) });
        const cancel = () => {
          stream.cancel();
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', cancel, { once: true });
        const settle = () => signal?.removeEventListener('abort', cancel);
        stream.on('data', (event: OperationEvent) => {
          if (event.operation && isTerminalOperationState(event.operation.state)) final = event.operation;
          onEvent?.(event);
        });
        stream.on('end', () => {
          settle();
          resolve();
        });
        stream.on('error', (err: ServiceError) => {
          settle();
          reject(fail(err, watchTimeoutMs));
        });
      });
      return final ?? getOperation(operationId);
    },
    connect: () => {
      // Connected or connecting already: nothing to open (and no pins to read again).
      const state = client.getChannel().getConnectivityState(false);
      if (state === connectivityState.READY || state === connectivityState.CONNECTING) return;
      refreshPins().then(
        () => {
          // Closed while the pins were read: a shut-down channel must not be woken.
          const channel = client.getChannel();
          if (channel.getConnectivityState(false) !== connectivityState.SHUTDOWN) channel.getConnectivityState(true);
        },
        () => undefined,
      );
    },
    close: () => client.close(),
  };
}

/**
 * One SecureContext per controller TLS material, shared by the channels to every agent:
 * a context per channel (as createSsl builds) holds its own copy of the CA store and
 * key, about a megabyte each, which a campaign across 1,000 servers multiplies.
 * Keyed by the material object, so reloaded material gets a context of its own.
 */
const secureContexts = new WeakMap<object, SecureContext>();

function controllerSecureContext(tls: Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>): SecureContext {
  let context = secureContexts.get(tls);
  if (!context) {
    context = createSecureContext({ ca: tls.caPem, cert: tls.certPem, key: tls.keyPem });
    secureContexts.set(tls, context);
  }
  return context;
}

/**
 * Present the controller certificate; trust the fleet CA only; accept only the agent
 * named in the inventory (SAN URI spiffe://wofleet/agent/<server>), and of its
 * certificates only those pinned (AgentPins). Host names are not checked: agents are
 * addressed by IP as often as by name.
 */
function controllerChannelCredentials(
  tls: Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>,
  server: string,
  pinned: () => ReadonlySet<string>,
): ChannelCredentials {
  return credentials.createFromSecureContext(controllerSecureContext(tls), {
    // From the certificate as TLS already parsed it (a second parse and hash per handshake
    // was a tenth of the controller's handshake cost when a wave's switches connect at once).
    checkServerIdentity: (_host, cert) => {
      const id = identityFromAltNames(cert.subjectaltname ?? '');
      if (id?.role !== FLEET_ROLE.agent || id.name !== server) return new Error(`the server is not wofleet agent ${server}`);
      const fingerprint = cert.fingerprint256.replaceAll(':', '').toLowerCase();
      return pinned().has(fingerprint)
        ? undefined
        : new Error(
            `agent ${server} presented certificate ${fingerprint.slice(0, 16)}..., not the one enrolled (revoked, replaced, or an impostor): re-enroll it ('wofleet servers token ${server}')`,
          );
    },
  });
}

function fromAgentError(err: ServiceError, server: string, describe: string, limitMs: number): WofleetError {
  const details = err.details || err.message;
  switch (err.code) {
    case status.INVALID_ARGUMENT:
      return new UsageError(`${describe}: ${details}`);
    case status.NOT_FOUND:
      return new NotFoundError(`${describe}: ${details}`);
    case status.ALREADY_EXISTS:
    case status.FAILED_PRECONDITION:
      return new StateError(`${describe}: ${details}`);
    case status.UNAVAILABLE:
      return new AgentUnreachableError(server, err.code, `cannot reach ${describe}: ${details}`);
    case status.DEADLINE_EXCEEDED:
      return new AgentUnreachableError(server, err.code, `${describe} did not answer within ${limitMs / 1000}s`);
    default:
      return new AgentCallError(server, err.code, `${describe} refused: ${details}`);
  }
}
