import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import { WOFLEET_DESCRIPTOR } from '../src/generated/descriptor.js';
import {
  OPERATION_STATE,
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
  PROTO_ROOT,
  isTerminalOperationState,
  loadAgentService,
  loadControllerService,
  loadRolloutService,
  type AgentStatusInput,
} from '../src/index.js';

/** The compiled descriptor's message types, by name. */
const messages = protobuf.Root.fromJSON(WOFLEET_DESCRIPTOR);
const messageType = (name: string) => messages.lookupType(`wofleet.v1.${name}`);

describe('loadAgentService', () => {
  const { service, Client } = loadAgentService();

  it('defines every agent operation under /wofleet.v1.AgentService/', () => {
    expect(Object.keys(service).sort()).toEqual(
      [
        'GetStatus',
        'ListSites',
        'CheckHealth',
        'ListReleases',
        'GetBaseline',
        'StageRelease',
        'Activate',
        'Rollback',
        'UpgradeDb',
        'Prune',
        'CreateSite',
        'ConvertSite',
        'RemoveSite',
        'SetBaseline',
        'StagePackage',
        'InstallPackage',
        'GetOperation',
        'WatchOperation',
      ].sort(),
    );
    expect(service.GetStatus.path).toBe('/wofleet.v1.AgentService/GetStatus');
    expect(typeof Client).toBe('function');
  });

  it('streams WatchOperation from the server and answers everything else at once', () => {
    for (const [name, method] of Object.entries(service)) {
      expect(method.requestStream, name).toBe(false);
      expect(method.responseStream, name).toBe(name === 'WatchOperation');
    }
  });

  it('makes every mutation take operation_id as field 1 and return an Operation', () => {
    const methods = messages.lookupService('wofleet.v1.AgentService').methodsArray;
    const mutations = methods.filter((m) => m.responseType === 'Operation' && m.name !== 'GetOperation');
    expect(mutations.map((m) => m.name).sort()).toEqual([
      'Activate',
      'ConvertSite',
      'CreateSite',
      'InstallPackage',
      'Prune',
      'RemoveSite',
      'Rollback',
      'SetBaseline',
      'StagePackage',
      'StageRelease',
      'UpgradeDb',
    ]);
    for (const method of mutations) {
      expect(messageType(method.requestType).fieldsById[1], method.name).toMatchObject({ name: 'operationId', type: 'string' });
    }
  });

  it('spells fields in lowerCamelCase and fills unset ones with defaults on receipt', () => {
    const wire = service.Activate.requestSerialize({ operationId: 'op-1', releaseId: '20250101T000000Z-6.5.5' });
    expect(service.Activate.requestDeserialize(wire)).toEqual({
      operationId: 'op-1',
      releaseId: '20250101T000000Z-6.5.5',
      canarySite: '',
      skipCanary: false,
    });
  });

  it('gives int64 as numbers, enums by name, and null for unset messages', () => {
    const status: AgentStatusInput = { serverId: 'web1', uptimeSeconds: 90, disk: { sharedCoreBytes: 5_000_000_000, savedBytes: -10 } };
    const received = service.GetStatus.responseDeserialize(service.GetStatus.responseSerialize(status));
    expect(received).toMatchObject({ serverId: 'web1', uptimeSeconds: 90, current: null, lastUpdate: null, canarySite: '', sites: 0 });
    expect(received.disk).toMatchObject({ sharedCoreBytes: 5_000_000_000, savedBytes: -10, freeBytes: 0 });

    const operation = service.GetOperation.responseDeserialize(
      service.GetOperation.responseSerialize({ id: 'op-1', kind: 'OPERATION_KIND_ACTIVATE', state: 2 }),
    );
    expect(operation).toMatchObject({ kind: 'OPERATION_KIND_ACTIVATE', state: OPERATION_STATE.OPERATION_STATE_RUNNING, progress: [] });
  });

  it('carries baseline options as JSON-encoded strings in a map', () => {
    const baseline = { plugins: ['akismet/akismet.php'], theme: '', options: { blog_public: '0', blogdescription: '"Just WordPress"' } };
    expect(service.GetBaseline.responseDeserialize(service.GetBaseline.responseSerialize(baseline))).toEqual(baseline);
  });
});

describe('loadControllerService', () => {
  const { service } = loadControllerService();

  it('defines enrollment and the operator API under /wofleet.v1.ControllerService/', () => {
    expect(Object.keys(service).sort()).toEqual([
      'AddAgentPackage',
      'AddRelease',
      'AddServer',
      'Enroll',
      'FetchAgentPackage',
      'GetServer',
      'IssueEnrollmentToken',
      'ListAgentPackages',
      'ListAudit',
      'ListCertificates',
      'ListReleases',
      'ListRevocations',
      'ListServers',
      'ListSites',
      'RemoveServer',
      'RenewCertificate',
      'RevokeCertificate',
      'SyncServer',
      'UpdateServer',
      'UpgradeAgents',
    ]);
    expect(service.Enroll.path).toBe('/wofleet.v1.ControllerService/Enroll');
  });

  it('reuses the agent messages it imports', () => {
    const wire = service.GetServer.responseSerialize({
      server: { name: 'web1' },
      status: { serverId: 'web1', current: { id: 'r1', version: '6.5.5', dbVersion: 57155 } },
    });
    expect(service.GetServer.responseDeserialize(wire).status?.current).toEqual({ id: 'r1', version: '6.5.5', dbVersion: 57155 });
  });
});

describe('operation states', () => {
  it('are terminal once SUCCEEDED, FAILED or INTERRUPTED', () => {
    const terminal = Object.values(OPERATION_STATE).filter(isTerminalOperationState);
    expect(terminal).toEqual(['OPERATION_STATE_SUCCEEDED', 'OPERATION_STATE_FAILED', 'OPERATION_STATE_INTERRUPTED']);
  });
});

describe('the services built from the compiled descriptor', () => {
  /** What proto-loader makes of the .proto text, the way the services were loaded before the descriptor. */
  const fromProtoText = (file: string) => grpc.loadPackageDefinition(protoLoader.loadSync(file, { ...PROTO_LOADER_OPTIONS })) as unknown;
  const serviceFromText = (file: string, name: string) =>
    ((fromProtoText(file) as Record<string, Record<string, Record<string, { service: grpc.ServiceDefinition }>>>).wofleet?.v1?.[name]
      ?.service ?? {}) as grpc.ServiceDefinition;

  it.each([
    ['AgentService', PROTO_FILES.agent, loadAgentService],
    ['ControllerService', PROTO_FILES.controller, loadControllerService],
    ['RolloutService', PROTO_FILES.rollout, loadRolloutService],
  ] as const)('define %s as proto-loader does from the .proto text: paths, streaming, names', (name, file, load) => {
    const expected = serviceFromText(file, name);
    const built = load().service as grpc.ServiceDefinition;
    expect(Object.keys(built).sort()).toEqual(Object.keys(expected).sort());
    for (const [method, definition] of Object.entries(expected)) {
      const { path, requestStream, responseStream, originalName } = built[method] as grpc.MethodDefinition<object, object>;
      expect({ path, requestStream, responseStream, originalName }, method).toEqual({
        path: definition.path,
        requestStream: definition.requestStream,
        responseStream: definition.responseStream,
        originalName: definition.originalName,
      });
    }
  });

  it('encode and decode a message byte for byte as proto-loader does (maps, oneofs, packed repeated, int64)', () => {
    const expected = serviceFromText(PROTO_FILES.rollout, 'RolloutService');
    const { service } = loadRolloutService();
    const plan = {
      settings: {
        release: '6.5.5',
        labels: { region: 'eu' },
        waves: [{ count: 1 }, { percent: 50 }],
        maxFailures: { percent: 10 },
        minHealthyMs: 2 ** 40,
        window: { text: 'Mon-Fri 01:00-05:00 UTC', days: [1, 2, 3, 4, 5], startMinute: 60, endMinute: 300 },
      },
      waves: [{ index: 0, servers: ['web1'] }],
    };
    const bytes = service.PlanRollout.responseSerialize(plan);
    expect(bytes.equals(expected.PlanRollout?.responseSerialize(plan) as Buffer)).toBe(true);
    expect(service.PlanRollout.responseDeserialize(bytes)).toEqual(expected.PlanRollout?.responseDeserialize(bytes));
    expect(service.PlanRollout.responseDeserialize(bytes)).toMatchObject({
      settings: { minHealthyMs: 2 ** 40, waves: [{ size: 'count' }, {}] },
    });
  });

  it('come from the built package as well, with the .proto files beside dist/', async () => {
    const built = (await import('../dist/index.js')) as typeof import('../src/index.js');
    expect(built.PROTO_ROOT).toBe(PROTO_ROOT);
    expect(Object.keys(built.loadAgentService().service)).toHaveLength(18);
  });
});
