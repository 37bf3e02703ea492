import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../src/exec.js';

/** The one program runner, for the options the agent uses to run a site's code unprivileged. */
describe('runCommand', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-exec-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the child as the given user and group, with none of our supplementary groups', async () => {
    const r = await runCommand('id', [], { user: { uid: 33, gid: 33 } });

    expect(r.stdout.trim()).toMatch(/^uid=33\(\S+\) gid=33\(\S+\) groups=33\(\S+\)$/);
  });

  it('gives the child only the environment given when isolated, else ours beneath it', async () => {
    process.env.WOFLEET_EXEC_TEST_SECRET = 'ours';
    try {
      const isolated = await runCommand('/usr/bin/env', [], { env: { ONLY: 'this' }, isolateEnv: true });
      const extended = await runCommand('/usr/bin/env', [], { env: { ONLY: 'this' } });

      expect(isolated.stdout).toBe('ONLY=this\n');
      expect(extended.stdout).toContain('WOFLEET_EXEC_TEST_SECRET=ours\n');
    } finally {
      delete process.env.WOFLEET_EXEC_TEST_SECRET;
    }
  });

  it('writes stdout into a descriptor it is handed and reads stdin from one, the child never naming a path', async () => {
    await writeFile(path.join(dir, 'in'), 'through stdin\n');
    const input = await open(path.join(dir, 'in'), 'r');
    const output = await open(path.join(dir, 'out'), 'wx', 0o600);
    try {
      const r = await runCommand('cat', [], { stdinFd: input.fd, stdoutFd: output.fd, user: { uid: 33, gid: 33 } });

      expect(r.stdout).toBe('');
    } finally {
      await input.close();
      await output.close();
    }
    expect(await readFile(path.join(dir, 'out'), 'utf8')).toBe('through stdin\n');
  });
});
