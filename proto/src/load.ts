import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { shippedDir } from '@wofleet/shared';
import protobuf from 'protobufjs/light.js';
import { WOFLEET_DESCRIPTOR } from './generated/descriptor.js';
import type { AgentServiceClient, AgentServiceDefinition } from './generated/wofleet/v1/AgentService.js';
import type { ControllerServiceClient, ControllerServiceDefinition } from './generated/wofleet/v1/ControllerService.js';
import type { RolloutServiceClient, RolloutServiceDefinition } from './generated/wofleet/v1/RolloutService.js';

/**
 * Directory holding `wofleet/v1/*.proto`: the package root, one level above both
 * src/ (tests) and dist/ (everyone else). The services are built from the descriptor
 * compiled from them at build time; the files are for tools that read .proto text
 * (`assets/proto/` in a package).
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
 * generate`, flags in package.json) and the descriptor (keepCase: false in
 * scripts/write-descriptor.mjs) are made with the same options; change them together.
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

/**
 * A service as built here: what grpc-js needs of each method (path, streaming, the
 * message conversions), without the reflection descriptors proto-loader adds.
 */
export type WireServiceDefinition<D> = { [M in keyof D]: Omit<D[M], 'requestType' | 'responseType' | 'options'> };

export interface AgentServiceBinding {
  /** For `server.addService(service, handlers)` with `AgentServiceHandlers`. */
  service: WireServiceDefinition<AgentServiceDefinition>;
  /** `new Client('host:port', credentials)`; methods in both `GetStatus` and `getStatus` spelling. */
  Client: AgentServiceClientConstructor;
}

export interface ControllerServiceBinding {
  service: WireServiceDefinition<ControllerServiceDefinition>;
  Client: ControllerServiceClientConstructor;
}

export interface RolloutServiceBinding {
  service: WireServiceDefinition<RolloutServiceDefinition>;
  Client: RolloutServiceClientConstructor;
}

/** PROTO_LOADER_OPTIONS as protobufjs takes them when it turns a received message into an object. */
const RECEIVED_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: PROTO_LOADER_OPTIONS.longs,
  enums: PROTO_LOADER_OPTIONS.enums,
  defaults: PROTO_LOADER_OPTIONS.defaults,
  oneofs: PROTO_LOADER_OPTIONS.oneofs,
};

type WireService = { definition: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor };

/**
 * Each service is built once per process: building one takes some 10-20 ms (the whole
 * descriptor, and protobufjs generates its coders), and the controller opens a channel to
 * an agent for each step of each server, 30,000 and more in a campaign of 10,000 servers.
 * The definitions hold nothing per channel or server; every caller may share them.
 */
const builtServices = new Map<string, WireService>();

function wireService(name: string): WireService {
  let built = builtServices.get(name);
  if (!built) {
    built = buildWireService(name);
    builtServices.set(name, built);
  }
  return built;
}

/**
 * The service's methods as proto-loader's loadSync + loadPackageDefinition would give them
 * (same paths, conversions and options), built from the descriptor compiled at build time
 * (scripts/write-descriptor.mjs): no .proto parsing and no reflection descriptors at each
 * start, which cost every CLI run and agent start tens of milliseconds.
 */
function buildWireService(name: string): WireService {
  const service = protobuf.Root.fromJSON(WOFLEET_DESCRIPTOR).lookupService(`wofleet.v1.${name}`);
  service.resolveAll();
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const request = method.resolvedRequestType;
    const response = method.resolvedResponseType;
    if (!request || !response) throw new Error(`wofleet.v1.${name}.${method.name}: unresolved message types`);
    definition[method.name] = {
      path: `/wofleet.v1.${name}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return { definition, Client: grpc.makeGenericClientConstructor(definition, name) };
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value))
      throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    const bytes = type.encode(type.fromObject(value)).finish();
    // protobufjs writes a Buffer on Node; the view costs no copy either way.
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), RECEIVED_OBJECT_OPTIONS);
}

export function loadAgentService(): AgentServiceBinding {
  // The generated definitions describe exactly these methods (same .proto, same options).
  const { definition, Client } = wireService('AgentService');
  return {
    service: definition as WireServiceDefinition<AgentServiceDefinition>,
    Client: Client as unknown as AgentServiceClientConstructor,
  };
}

export function loadControllerService(): ControllerServiceBinding {
  const { definition, Client } = wireService('ControllerService');
  return {
    service: definition as WireServiceDefinition<ControllerServiceDefinition>,
    Client: Client as unknown as ControllerServiceClientConstructor,
  };
}

export function loadRolloutService(): RolloutServiceBinding {
  const { definition, Client } = wireService('RolloutService');
  return {
    service: definition as WireServiceDefinition<RolloutServiceDefinition>,
    Client: Client as unknown as RolloutServiceClientConstructor,
  };
}
