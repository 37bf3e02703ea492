import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { shippedDir } from '@wofleet/shared';
import type { ProtoGrpcType as AgentProto } from './generated/agent.js';
import type { ProtoGrpcType as ControllerProto } from './generated/controller.js';
import type { ProtoGrpcType as RolloutProto } from './generated/rollout.js';
import type { AgentServiceClient, AgentServiceDefinition } from './generated/wofleet/v1/AgentService.js';
import type { ControllerServiceClient, ControllerServiceDefinition } from './generated/wofleet/v1/ControllerService.js';
import type { RolloutServiceClient, RolloutServiceDefinition } from './generated/wofleet/v1/RolloutService.js';

/**
 * Directory holding `wofleet/v1/*.proto`: the package root, one level above both
 * src/ (tests) and dist/ (everyone else), so the .proto files are found from either;
 * `assets/proto/` in a package.
 */
export const PROTO_ROOT = shippedDir(import.meta.url, '..', 'proto');

/** The .proto files, relative to PROTO_ROOT (also how they import each other). */
export const PROTO_FILES = {
  agent: 'wofleet/v1/agent.proto',
  controller: 'wofleet/v1/controller.proto',
  rollout: 'wofleet/v1/rollout.proto',
} as const;

/**
 * How messages look in JavaScript. The generated types (`pnpm --filter @wofleet/proto
 * generate`, flags in package.json) are made with the same options; change both together.
 * - keepCase: false — fields are lowerCamelCase in JS (`operation_id` -> `operationId`,
 *   `db_version` -> `dbVersion`); the wire and the .proto stay snake_case.
 * - longs: Number — int64 fields are plain numbers (byte counts stay far below 2^53).
 * - enums: String — enum fields are their value names ('OPERATION_STATE_RUNNING').
 * - defaults: true — a received message has every field: '' / 0 / false / [] / {} for
 *   unset scalars, repeated and map fields, null for unset message fields.
 * - oneofs: true — a oneof also gets a virtual field naming the member that is set.
 */
export const PROTO_LOADER_OPTIONS: Readonly<protoLoader.Options> = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
});

export type AgentServiceClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => AgentServiceClient;

export type ControllerServiceClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => ControllerServiceClient;

export type RolloutServiceClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => RolloutServiceClient;

export interface AgentServiceBinding {
  /** For `server.addService(service, handlers)` with `AgentServiceHandlers`. */
  service: AgentServiceDefinition;
  /** `new Client('host:port', credentials)`; methods in both `GetStatus` and `getStatus` spelling. */
  Client: AgentServiceClientConstructor;
}

export interface ControllerServiceBinding {
  service: ControllerServiceDefinition;
  Client: ControllerServiceClientConstructor;
}

export interface RolloutServiceBinding {
  service: RolloutServiceDefinition;
  Client: RolloutServiceClientConstructor;
}

function loadPackage(file: string): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, { ...PROTO_LOADER_OPTIONS }));
}

export function loadAgentService(): AgentServiceBinding {
  // The generated ProtoGrpcType describes exactly what loadPackageDefinition returns for this file.
  const { AgentService } = (loadPackage(PROTO_FILES.agent) as unknown as AgentProto).wofleet.v1;
  return { service: AgentService.service, Client: AgentService };
}

export function loadControllerService(): ControllerServiceBinding {
  const { ControllerService } = (loadPackage(PROTO_FILES.controller) as unknown as ControllerProto).wofleet.v1;
  return { service: ControllerService.service, Client: ControllerService };
}

export function loadRolloutService(): RolloutServiceBinding {
  const { RolloutService } = (loadPackage(PROTO_FILES.rollout) as unknown as RolloutProto).wofleet.v1;
  return { service: RolloutService.service, Client: RolloutService };
}
