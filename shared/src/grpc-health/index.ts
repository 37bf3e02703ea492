import { HealthImplementation } from 'grpc-health-check';

/**
 * `@wofleet/shared/grpc-health`: the standard gRPC health service (grpc.health.v1.Health,
 * Check and Watch) for the agent's and the controller's gRPC servers, from grpc-health-check
 * (the grpc-js authors'). A subpath: it parses health.proto when loaded.
 *
 * Every service the server holds, and the server as a whole (service ''), reads SERVING
 * while it accepts calls and NOT_SERVING from the moment it begins to stop; Watch streams
 * are told at once. Other names are NOT_FOUND, as the protocol says.
 */
export interface ServingHealth {
  /** The server stops taking new work (a graceful stop began). */
  notServing(): void;
}

type HealthServer = Parameters<HealthImplementation['addToServer']>[0];

/** The service names of the definitions a server holds, taken from their methods' paths (`/wofleet.v1.AgentService/GetStatus`). */
function serviceName(definition: Record<string, { path: string }>): string {
  const path = Object.values(definition)[0]?.path ?? '';
  return path.split('/')[1] ?? '';
}

export function addHealthService(server: HealthServer, definitions: ReadonlyArray<Record<string, { path: string }>>): ServingHealth {
  const names = ['', ...definitions.map(serviceName)];
  const health = new HealthImplementation(Object.fromEntries(names.map((name) => [name, 'SERVING' as const])));
  health.addToServer(server);
  return {
    notServing() {
      for (const name of names) health.setStatus(name, 'NOT_SERVING');
    },
  };
}
