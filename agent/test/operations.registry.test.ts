import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '@wofleet/shared';
import {
  ConflictError,
  OPERATION_STATE,
  OperationRegistry,
  ShuttingDownError,
  type OperationEvent,
  type ProgressReporter,
} from '../src/operations/index.js';

async function openRegistry(): Promise<OperationRegistry> {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'wofleet-ops-')), 'operations');
  let t = Date.UTC(2025, 0, 1);
  return OperationRegistry.open(dir, {
    now: () => {
      t += 1000;
      return new Date(t);
    },
  });
}

/**
 * Work a test controls: `started` resolves once the work runs (so the operation
 * is RUNNING and journaled); it finishes when the test calls `finish`.
 */
function controlledWork(result: unknown = { ok: true }) {
  let markStarted!: () => void;
  let finish!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  const finished = new Promise<void>((r) => (finish = r));
  let calls = 0;
  let report: ProgressReporter = () => undefined;
  const work = async (progress: ProgressReporter) => {
    calls++;
    report = progress;
    markStarted();
    await finished;
    return result;
  };
  return { work, started, finish, calls: () => calls, progress: (m: string) => report(m) };
}

describe('operation registry', () => {
  it('does the work once for a repeated id and returns the first outcome', async () => {
    const registry = await openRegistry();
    let calls = 0;
    const work = async () => ({ release: `r${++calls}` });
    const first = await registry.run('op-1', 'update', { release: '6.5.5' }, work);
    const again = await registry.run('op-1', 'update', { release: '6.5.5' }, work);
    expect(calls).toBe(1);
    expect(first).toMatchObject({ state: OPERATION_STATE.succeeded, result: { release: 'r1' } });
    expect(again).toEqual(first);
  });

  it('treats a request with its keys in another order as the same request', async () => {
    const registry = await openRegistry();
    let calls = 0;
    await registry.run('op-1', 'update', { a: 1, b: { c: 2, d: 3 } }, async () => ++calls);
    const again = await registry.run('op-1', 'update', { b: { d: 3, c: 2 }, a: 1 }, async () => ++calls);
    expect(calls).toBe(1);
    expect(again.result).toBe(1);
  });

  it('attaches a repeat to the running operation instead of running it again', async () => {
    const registry = await openRegistry();
    const op = controlledWork({ switched: true });
    const first = registry.run('op-1', 'update', { release: '6.5.5' }, op.work);
    await op.started;
    const attached = registry.run('op-1', 'update', { release: '6.5.5' }, op.work);
    expect(registry.get('op-1')?.state).toBe(OPERATION_STATE.running);
    op.finish();
    const [a, b] = await Promise.all([first, attached]);
    expect(op.calls()).toBe(1);
    expect(b).toEqual(a);
    expect(b.result).toEqual({ switched: true });
  });

  it('runs the work once when two calls with a new id arrive together', async () => {
    const registry = await openRegistry();
    let calls = 0;
    const work = async () => ++calls;
    const results = await Promise.all([1, 2, 3].map(() => registry.run('op-1', 'update', {}, work)));
    expect(calls).toBe(1);
    expect(results.map((r) => r.result)).toEqual([1, 1, 1]);
  });

  it('refuses to reuse an id for a different request or kind', async () => {
    const registry = await openRegistry();
    await registry.run('op-1', 'update', { release: '6.5.5' }, async () => 'done');
    const otherRequest = registry.run('op-1', 'update', { release: '6.6.0' }, async () => 'again');
    await expect(otherRequest).rejects.toBeInstanceOf(ConflictError);
    await expect(otherRequest).rejects.toThrow('operation id op-1 was already used for update with a different request');
    await expect(registry.run('op-1', 'rollback', { release: '6.5.5' }, async () => 'again')).rejects.toBeInstanceOf(ConflictError);
  });

  it('records a thrown error as FAILED with its message and class name', async () => {
    const registry = await openRegistry();
    class HealthCheckFailed extends Error {}
    const record = await registry.run('op-1', 'update', {}, async () => {
      throw new HealthCheckFailed('canary answered 500');
    });
    expect(record.state).toBe(OPERATION_STATE.failed);
    expect(record.error).toEqual({ kind: 'HealthCheckFailed', message: 'canary answered 500' });
    expect(record.finishedAt).toBeDefined();
  });

  it('returns the recorded failure for a repeat instead of retrying', async () => {
    const registry = await openRegistry();
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new TypeError('boom');
    };
    await registry.run('op-1', 'update', {}, failing);
    const again = await registry.run('op-1', 'update', {}, failing);
    expect(calls).toBe(1);
    expect(again.error).toEqual({ kind: 'TypeError', message: 'boom' });
  });

  it.each(['', '-leading-dash', '.hidden', 'a/b', '../escape', 'has space', 'x'.repeat(129)])('refuses the invalid id %j', async (id) => {
    const registry = await openRegistry();
    await expect(registry.run(id, 'update', {}, async () => 'ran')).rejects.toBeInstanceOf(UsageError);
    expect(registry.list()).toEqual([]);
  });

  it('accepts ids of letters, digits, dots, underscores, colons and dashes up to 128 characters', async () => {
    const registry = await openRegistry();
    for (const id of ['a', '0f8e-41b2', 'campaign:42.server_7', 'x'.repeat(128)]) {
      expect((await registry.run(id, 'update', {}, async () => 'ran')).state).toBe(OPERATION_STATE.succeeded);
    }
  });

  it('tells a watcher the current state, then progress, then the terminal state', async () => {
    const registry = await openRegistry();
    const op = controlledWork();
    const done = registry.run('op-1', 'update', {}, op.work);
    await op.started;
    const events: OperationEvent[] = [];
    registry.watch('op-1', (e) => events.push(e));
    op.progress('downloading');
    op.progress('switching');
    op.finish();
    await done;
    op.progress('too late');
    expect(events.map((e) => [e.state, e.message])).toEqual([
      [OPERATION_STATE.running, 'running'],
      [OPERATION_STATE.running, 'downloading'],
      [OPERATION_STATE.running, 'switching'],
      [OPERATION_STATE.succeeded, 'succeeded'],
    ]);
    expect((await done).progress.map((p) => p.message)).toEqual(['downloading', 'switching']);
  });

  it('tells a watcher of a finished operation its final state once', async () => {
    const registry = await openRegistry();
    const record = await registry.run('op-1', 'update', {}, async () => {
      throw new Error('disk full');
    });
    const events: OperationEvent[] = [];
    registry.watch('op-1', (e) => events.push(e));
    expect(events).toEqual([{ state: OPERATION_STATE.failed, message: 'disk full', at: record.finishedAt }]);
  });

  it('stops telling a watcher that unsubscribed', async () => {
    const registry = await openRegistry();
    const op = controlledWork();
    const done = registry.run('op-1', 'update', {}, op.work);
    await op.started;
    const events: OperationEvent[] = [];
    const unsubscribe = registry.watch('op-1', (e) => events.push(e));
    unsubscribe();
    op.progress('unseen');
    op.finish();
    await done;
    expect(events).toHaveLength(1);
  });

  it('refuses to watch an unknown operation', async () => {
    const registry = await openRegistry();
    expect(() => registry.watch('nope', () => undefined)).toThrow(NotFoundError);
  });

  it('keeps only the newest progress messages', async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'wofleet-ops-')), 'operations');
    const registry = await OperationRegistry.open(dir, { maxProgress: 3 });
    const record = await registry.run('op-1', 'update', {}, async (progress) => {
      for (let i = 1; i <= 5; i++) progress(`step ${i}`);
    });
    expect(record.progress.map((p) => p.message)).toEqual(['step 3', 'step 4', 'step 5']);
  });

  it('lists running ids and drains once they finish', async () => {
    const registry = await openRegistry();
    const a = controlledWork();
    const b = controlledWork();
    void registry.run('op-a', 'update', {}, a.work);
    void registry.run('op-b', 'rollback', {}, b.work);
    await Promise.all([a.started, b.started]);
    expect(registry.running().sort()).toEqual(['op-a', 'op-b']);
    let drained = false;
    const draining = registry.drain().then(() => (drained = true));
    a.finish();
    await registry.run('op-a', 'update', {}, a.work);
    expect(drained).toBe(false);
    b.finish();
    await draining;
    expect(registry.running()).toEqual([]);
  });

  it('refuses new ids after close but still answers and attaches existing ones', async () => {
    const registry = await openRegistry();
    await registry.run('op-done', 'update', {}, async () => 'first');
    const op = controlledWork('late');
    const running = registry.run('op-running', 'update', {}, op.work);
    await op.started;
    registry.close();
    await expect(registry.run('op-new', 'update', {}, async () => 'ran')).rejects.toBeInstanceOf(ShuttingDownError);
    expect((await registry.run('op-done', 'update', {}, async () => 'again')).result).toBe('first');
    const attached = registry.run('op-running', 'update', {}, op.work);
    op.finish();
    await registry.drain();
    expect((await attached).result).toBe('late');
    expect(await running).toEqual(await attached);
    expect(registry.get('op-new')).toBeUndefined();
  });

  it('lists operations newest first, up to the limit', async () => {
    const registry = await openRegistry();
    for (const id of ['op-1', 'op-2', 'op-3']) await registry.run(id, 'update', {}, async () => id);
    expect(registry.list({ limit: 2 }).map((r) => r.id)).toEqual(['op-3', 'op-2']);
  });
});
