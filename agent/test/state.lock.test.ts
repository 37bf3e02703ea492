import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, LockHeldError } from '@wofleet/shared';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'wofleet-lock-'));

describe('server lock', () => {
  it('a second holder fails at once, naming the holder pid and command', async () => {
    const file = path.join(await tmp(), 'lock');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await writeFile(file, JSON.stringify({ pid: sleeper.pid, command: 'update --release 6.5.5', startedAt: 'x' }));
      const err = await acquireLock(file, 'rollback').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockHeldError);
      expect((err as Error).message).toContain(`pid ${sleeper.pid}: update --release 6.5.5`);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('is released and can be taken again', async () => {
    const file = path.join(await tmp(), 'lock');
    const lock = await acquireLock(file, 'init');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid, command: 'init' });
    await lock.release();
    const again = await acquireLock(file, 'status');
    await again.release();
  });

  it('takes over a lock left by a dead process', async () => {
    const file = path.join(await tmp(), 'lock');
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    await writeFile(file, JSON.stringify({ pid: dead.pid, command: 'update', startedAt: 'x' }));
    const lock = await acquireLock(file, 'rollback');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid, command: 'rollback' });
    await lock.release();
  });

  it('only one of many concurrent contenders wins', async () => {
    const file = path.join(await tmp(), 'lock');
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acquireLock(file, `c${i}`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockHeldError);
  });
});
