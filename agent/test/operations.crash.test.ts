import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPERATION_STATE, OperationRegistry } from '../src/operations/index.js';

const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/**
 * Start operation `op-1` in a child process, wait until its work has reported
 * progress, then SIGKILL it: a power cut in the middle of the work.
 */
async function killMidOperation(dir: string): Promise<NodeJS.Signals | null> {
  const registryUrl = pathToFileURL(path.join(repoRoot, 'agent/src/operations/index.ts')).href;
  const script = path.join(path.dirname(dir), 'operation-child.mts');
  await writeFile(
    script,
    [
      `import { OperationRegistry } from ${JSON.stringify(registryUrl)};`,
      `const registry = await OperationRegistry.open(${JSON.stringify(dir)});`,
      `await registry.run('op-1', 'update', { release: '6.5.5' }, async (progress) => {`,
      `  progress('half-way');`,
      `  console.log('working');`,
      `  await new Promise(() => setInterval(() => {}, 1000));`,
      `});`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('working') && resolve());
    void exited.then(() => reject(new Error(`child exited before working: ${stderr}`)));
  });
  child.kill('SIGKILL');
  return exited;
}

describe('an operation whose process is killed', () => {
  it('is INTERRUPTED after restart, persisted, and never run again', async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'wofleet-ops-crash-')), 'operations');
    expect(await killMidOperation(dir)).toBe('SIGKILL');
    expect(JSON.parse(await readFile(path.join(dir, 'op-1.json'), 'utf8'))).toMatchObject({ state: OPERATION_STATE.running });

    const registry = await OperationRegistry.open(dir);
    expect(registry.get('op-1')?.state).toBe(OPERATION_STATE.interrupted);
    expect(JSON.parse(await readFile(path.join(dir, 'op-1.json'), 'utf8'))).toMatchObject({ state: OPERATION_STATE.interrupted });

    let ran = false;
    const again = await registry.run('op-1', 'update', { release: '6.5.5' }, async () => (ran = true));
    expect(ran).toBe(false);
    expect(again.state).toBe(OPERATION_STATE.interrupted);
  });
});
