import type { MethodDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import {
  OPERATION_STATE,
  PROTO_ROOT,
  isTerminalOperationState,
  loadAgentService,
  loadControllerService,
  type AgentStatusInput,
} from '../src/index.js';

interface FieldDescriptor {
  name: string;
  number: number;
  type: string;
}
const fieldsOf = (type: object): FieldDescriptor[] => (type as { field: FieldDescriptor[] }).field;

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
    const returnsOperation = (type: object) => (type as { name: string }).name === 'Operation';
    const methods = Object.entries(service) as [string, MethodDefinition<object, object>][];
    const mutations = methods.filter(([name, m]) => returnsOperation(m.responseType.type) && name !== 'GetOperation');
    expect(mutations.map(([name]) => name).sort()).toEqual([
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
    for (const [name, method] of mutations) {
      expect(fieldsOf(method.requestType.type)[0], name).toMatchObject({ name: 'operationId', number: 1, type: 'TYPE_STRING' });
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
      'ListCertificates',
      'ListReleases',
      'ListRevocations',
      'ListServers',
      'ListSites',
      'RemoveServer',
      'RenewCertificate',
      'RevokeCertificate',
      'SyncServer',
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

describe('the built package', () => {
  it('finds the .proto files from dist/', async () => {
    const built = (await import('../dist/index.js')) as typeof import('../src/index.js');
    expect(built.PROTO_ROOT).toBe(PROTO_ROOT);
    expect(Object.keys(built.loadAgentService().service)).toHaveLength(18);
  });
});
