import { execa } from 'execa';
import { CommandFailedError } from './errors.js';

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * The one way wofleet runs a program: argv array (never a shell string), no stdin
 * unless given (a child must never wait on a prompt), a timeout, and one error type
 * carrying command, exit code and output.
 */
export type CommandRunner = (command: string, args: readonly string[], options?: RunOptions) => Promise<RunResult>;

const DEFAULT_TIMEOUT_MS = 10 * 60_000;

export const runCommand: CommandRunner = async (command, args, options = {}) => {
  const result = await execa(command, [...args], {
    env: options.env,
    cwd: options.cwd,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    cancelSignal: options.signal,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    reject: false,
    stripFinalNewline: false,
  });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (result.failed || result.exitCode !== 0) {
    const why = result.timedOut
      ? `timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`
      : result.isCanceled
        ? 'was cancelled'
        : result.exitCode === undefined
          ? `could not be started (${result.originalMessage ?? result.shortMessage})`
          : `exited with code ${result.exitCode}`;
    const detail = lastLine(stderr) || lastLine(stdout);
    throw new CommandFailedError(
      command,
      args,
      result.exitCode,
      stdout,
      stderr,
      `${command} ${args.slice(0, 3).join(' ')} ${why}${detail ? `: ${detail}` : ''}`,
    );
  }
  return { stdout, stderr, exitCode: result.exitCode ?? 0 };
};

function lastLine(text: string): string {
  const lines = text
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? '';
}
