import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError, OPERATION_STATE, OperationRegistry, QUARANTINED_KIND, type OperationRecord } from '../src/operations/index.js';

async function tempOperationsDir(): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), 'wofleet-ops-')), 'operations');
}

function steppingClock(): () => Date {
  let t = Date.UTC(2025, 0, 1);
  return () => {
    t += 1000;
    return new Date(t);
  };
}

async function readRecordFile(dir: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(dir, `${id}.json`), 'utf8')) as Record<string, unknown>;
}

/** A record as a process killed mid-operation leaves it. */
async function writeUnfinishedRecord(dir: string, id: string, state: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const record = {
    version: 1,
    id,
    kind: 'update',
    request: '{"release":"6.5.5"}',
    state,
    startedAt: '2025-01-01T00:00:00.000Z',
    progress: [],
  };
  await writeFile(path.join(dir, `${id}.json`), JSON.stringify(record));
}

describe('operation journal', () => {
  it('journals the start as RUNNING with kind, canonical request and start time before the work runs', async () => {
    const dir = await tempOperationsDir();
    const registry = await OperationRegistry.open(dir, { now: steppingClock() });
    let seen: Record<string, unknown> | undefined;
    await registry.run('op-1', 'update', { release: '6.5.5', canary: 'a.test' }, async () => {
      seen = await readRecordFile(dir, 'op-1');
    });
    expect(seen).toMatchObject({
      id: 'op-1',
      kind: 'update',
      state: OPERATION_STATE.running,
      request: '{"canary":"a.test","release":"6.5.5"}',
      startedAt: '2025-01-01T00:00:01.000Z',
    });
    expect(seen).not.toHaveProperty('finishedAt');
  });

  it('journals the outcome with its result, progress and finish time', async () => {
    const dir = await tempOperationsDir();
    const registry = await OperationRegistry.open(dir, { now: steppingClock() });
    const record = await registry.run('op-1', 'update', {}, async (progress) => {
      progress('switched');
      return { release: '20250101-6.5.5', size: 12n };
    });
    const onDisk = await readRecordFile(dir, 'op-1');
    expect(onDisk).toMatchObject({ state: OPERATION_STATE.succeeded, result: { release: '20250101-6.5.5', size: '12' } });
    expect(onDisk.progress).toEqual([{ at: expect.any(String), message: 'switched' }]);
    expect(onDisk.finishedAt).toBe(record.finishedAt);
  });

  it('journals a failure with the error message and kind', async () => {
    const dir = await tempOperationsDir();
    const registry = await OperationRegistry.open(dir);
    await registry.run('op-1', 'update', {}, async () => {
      throw new RangeError('no such release');
    });
    expect(await readRecordFile(dir, 'op-1')).toMatchObject({
      state: OPERATION_STATE.failed,
      error: { kind: 'RangeError', message: 'no such release' },
    });
  });

  it('returns the journaled outcome after a restart without running the work again', async () => {
    const dir = await tempOperationsDir();
    const first = await (await OperationRegistry.open(dir)).run('op-1', 'update', { release: '6.5.5' }, async () => ({ ok: 1 }));
    const reopened = await OperationRegistry.open(dir);
    let ran = false;
    const again = await reopened.run('op-1', 'update', { release: '6.5.5' }, async () => (ran = true));
    expect(ran).toBe(false);
    expect(again).toEqual(first);
  });

  it.each([OPERATION_STATE.running, OPERATION_STATE.pending])(
    'marks an operation left %s by a crash INTERRUPTED and persists it',
    async (state) => {
      const dir = await tempOperationsDir();
      await writeUnfinishedRecord(dir, 'op-1', state);
      const registry = await OperationRegistry.open(dir, { now: () => new Date('2025-01-02T00:00:00.000Z') });
      expect(registry.get('op-1')).toMatchObject({ state: OPERATION_STATE.interrupted, finishedAt: '2025-01-02T00:00:00.000Z' });
      expect(registry.running()).toEqual([]);
      expect(await readRecordFile(dir, 'op-1')).toMatchObject({ state: OPERATION_STATE.interrupted });
    },
  );

  it('returns INTERRUPTED for a repeat of an interrupted operation and never retries it', async () => {
    const dir = await tempOperationsDir();
    await writeUnfinishedRecord(dir, 'op-1', OPERATION_STATE.running);
    const registry = await OperationRegistry.open(dir);
    let ran = false;
    const record = await registry.run('op-1', 'update', { release: '6.5.5' }, async () => (ran = true));
    expect(ran).toBe(false);
    expect(record.state).toBe(OPERATION_STATE.interrupted);
  });

  it('removes temp files a crash left mid-write', async () => {
    const dir = await tempOperationsDir();
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, '.op-1.json.tmp-0a1b2c3d4e5f'), '{"half');
    await OperationRegistry.open(dir);
    expect(await readdir(dir)).toEqual([]);
  });

  it('quarantines a damaged record and keeps its operation id taken, so the rest opens and nothing runs twice', async () => {
    const dir = await tempOperationsDir();
    const writer = await OperationRegistry.open(dir, { now: steppingClock() });
    await writer.run('op-good', 'update', {}, async () => 'done');
    await writeFile(path.join(dir, 'op-1.json'), '{"id":"op-1","state":"SOMETHING"}');
    await writeFile(path.join(dir, 'op-2.json'), '{"version":1,"id":"op-2","ki');

    const registry = await OperationRegistry.open(dir, { now: () => new Date('2025-02-03T04:05:06.789Z') });
    expect(registry.get('op-good')?.state).toBe(OPERATION_STATE.succeeded);
    const quarantined = registry.quarantined().sort((a, b) => a.id.localeCompare(b.id));
    expect(quarantined.map((q) => [q.id, path.basename(q.movedTo)])).toEqual([
      ['op-1', 'op-1.json.20250203T040506789Z'],
      ['op-2', 'op-2.json.20250203T040506789Z'],
    ]);
    expect(quarantined[0]?.reason).toContain('version');
    expect(quarantined[1]?.reason).toBe('not JSON');
    expect((await readdir(path.join(dir, 'quarantine'))).sort()).toEqual([
      'op-1.json.20250203T040506789Z',
      'op-2.json.20250203T040506789Z',
    ]);
    expect(await readFile(path.join(dir, 'quarantine', 'op-2.json.20250203T040506789Z'), 'utf8')).toBe('{"version":1,"id":"op-2","ki');

    let ran = false;
    const repeat = registry.run('op-1', 'update', {}, async () => {
      ran = true;
    });
    await expect(repeat).rejects.toBeInstanceOf(ConflictError);
    expect(ran).toBe(false);
    // The id stays taken after the next restart too: its place is journaled anew.
    const reopened = await OperationRegistry.open(dir);
    expect(reopened.get('op-2')).toMatchObject({ kind: QUARANTINED_KIND, state: OPERATION_STATE.interrupted });
    expect(reopened.quarantined()).toEqual([]);
  });

  it('prunes all but the newest records at open', async () => {
    const dir = await tempOperationsDir();
    const writer = await OperationRegistry.open(dir, { now: steppingClock() });
    for (const id of ['op-1', 'op-2', 'op-3', 'op-4', 'op-5']) await writer.run(id, 'update', {}, async () => id);
    const registry = await OperationRegistry.open(dir, { maxRecords: 3 });
    expect(registry.list().map((r: OperationRecord) => r.id)).toEqual(['op-5', 'op-4', 'op-3']);
    expect((await readdir(dir)).sort()).toEqual(['op-3.json', 'op-4.json', 'op-5.json']);
  });

  it('prunes the oldest finished record as new ones finish, never a running one', async () => {
    const dir = await tempOperationsDir();
    const registry = await OperationRegistry.open(dir, { now: steppingClock(), maxRecords: 2 });
    let finish!: () => void;
    const slow = registry.run('op-slow', 'update', {}, () => new Promise<void>((r) => (finish = r)));
    for (const id of ['op-1', 'op-2', 'op-3']) await registry.run(id, 'update', {}, async () => id);
    expect(registry.running()).toEqual(['op-slow']);
    expect((await readdir(dir)).sort()).toEqual(['op-2.json', 'op-3.json', 'op-slow.json']);
    finish();
    await slow;
    expect((await readdir(dir)).sort()).toEqual(['op-3.json', 'op-slow.json']);
  });
});
