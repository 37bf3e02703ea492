import { describe, expect, it } from 'vitest';
import { toWireOperation } from '../src/daemon/grpc/operation-calls.js';
import type { OperationRecord } from '../src/operations/index.js';

const staged = {
  id: 'wp-6.5.5-20250101T000000Z',
  version: '6.5.5',
  dbVersion: 57155,
  digest: { algorithm: 'sha1', hex: 'a'.repeat(40) },
  archiveSha256: 'b'.repeat(64),
  stagedAt: '2025-01-01T00:00:00.000Z',
  files: 1550,
  bytes: 15_000_000,
  newBytes: 9_000_000,
  path: '/var/www/shared/releases/wp-6.5.5-20250101T000000Z',
};

const record = (kind: string, result: OperationRecord['result']): OperationRecord => ({
  id: 'op-1',
  kind,
  request: '{}',
  state: 'SUCCEEDED',
  startedAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:00:01.000Z',
  result,
  progress: [],
});

describe('operation results on the wire', () => {
  it('a StageRelease result is the typed release it staged, with its digest, and no JSON', () => {
    const wire = toWireOperation(record('OPERATION_KIND_STAGE_RELEASE', staged));
    expect(wire.resultJson).toBe('');
    expect(wire.stageRelease).toEqual({
      release: {
        id: staged.id,
        version: '6.5.5',
        dbVersion: 57155,
        digest: { algorithm: 'sha1', hex: 'a'.repeat(40) },
        stagedAt: staged.stagedAt,
        files: 1550,
        bytes: 15_000_000,
      },
    });
  });

  it('a journaled stage result that is not a release is refused rather than sent half-typed', () => {
    expect(() => toWireOperation(record('OPERATION_KIND_STAGE_RELEASE', { id: 'not-a-release' }))).toThrow();
  });

  it('kinds without a typed result keep their JSON', () => {
    const wire = toWireOperation(record('OPERATION_KIND_PRUNE', { removed: ['wp-6.4.5-20240101T000000Z'], freedBytes: 1 }));
    expect(JSON.parse(wire.resultJson ?? '')).toEqual({ removed: ['wp-6.4.5-20240101T000000Z'], freedBytes: 1 });
    expect(wire.stageRelease).toBeUndefined();
  });
});
