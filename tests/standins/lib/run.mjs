// Running programs from the stand-ins: argv arrays only (never a shell string),
// stdin either closed or fed from a string we built, never inherited.
import { spawnSync } from 'node:child_process';

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ input?: string, env?: Record<string, string>, stdinFd?: number, timeoutMs?: number }} [options]
 * @returns {{ stdout: string, stderr: string }}
 */
export function run(command, args, options = {}) {
  const stdin = options.stdinFd ?? (options.input === undefined ? 'ignore' : 'pipe');
  const result = spawnSync(command, args, {
    input: options.input,
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: options.timeoutMs ?? 120_000,
  });
  if (result.error) throw new Error(`${command} could not be run: ${result.error.message}`);
  if (result.status !== 0) {
    const detail = (result.stderr || result.stdout || '').trim().split('\n').slice(-5).join('\n');
    const why = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.status}`;
    throw new Error(`${command} ${args.slice(0, 2).join(' ')} ${why}${detail ? `: ${detail}` : ''}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}
