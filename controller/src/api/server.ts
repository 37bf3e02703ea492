import { Server, type ServerInterceptor, type ServiceDefinition } from '@grpc/grpc-js';
import {
  loadControllerService,
  loadRolloutService,
  versionServerInterceptor,
  type ControllerServiceHandlers,
  type RolloutServiceHandlers,
} from '@wofleet/proto';
import { versionRefusal, WofleetError, WOFLEET_VERSION, type TlsMaterial } from '@wofleet/shared';
import { addHealthService } from '@wofleet/shared/grpc-health';
import { controllerServerCredentials } from './credentials.js';

export interface RunningGrpcServer {
  server: Server;
  port: number;
  /** Health reads NOT_SERVING, running calls finish (up to `graceMs`), then the rest are cut. */
  stop(graceMs?: number): Promise<void>;
}

/** The ControllerService methods agents call; every other method is an operator CLI's. */
const AGENT_METHODS = new Set(['Enroll', 'RenewCertificate', 'ListRevocations'].map((m) => `/wofleet.v1.ControllerService/${m}`));

/** Refuses a peer of a release line this controller does not serve (docs/COMPATIBILITY.md). */
function checkPeerVersion(peerVersion: string | undefined, method: string): string | undefined {
  const peer = AGENT_METHODS.has(method) ? 'agent' : 'client';
  return versionRefusal({ role: 'controller', peer }, WOFLEET_VERSION, peerVersion);
}

export interface ControllerServerOptions {
  rollout?: RolloutServiceHandlers;
  /** Around every call (the RPC metrics). */
  interceptors?: ServerInterceptor[];
}

/**
 * Serves ControllerService (and RolloutService, when given) on `listen` (host:port; port 0
 * picks a free one), with the standard health service beside them.
 */
export async function startControllerServer(
  listen: string,
  tls: TlsMaterial,
  handlers: ControllerServiceHandlers,
  options: ControllerServerOptions = {},
): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': 1024 * 1024,
    interceptors: [versionServerInterceptor(checkPeerVersion), ...(options.interceptors ?? [])],
  });
  const controllerService = loadControllerService().service;
  server.addService(controllerService, handlers);
  const served: ServiceDefinition[] = [controllerService];
  if (options.rollout) {
    const rollout = loadRolloutService().service;
    server.addService(rollout, options.rollout);
    served.push(rollout);
  }
  const health = addHealthService(server, served);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, controllerServerCredentials(tls), (err, bound) =>
      err ? reject(new WofleetError(`cannot serve on ${listen}: ${err.message}`, { cause: err })) : resolve(bound),
    ),
  );
  return {
    server,
    port,
    stop: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        health.notServing();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
