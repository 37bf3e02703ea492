import { CommandFailedError } from './errors.js';

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string;
  /** Read stdin from this open file descriptor (a dump being restored), instead of `input`. */
  stdinFd?: number;
  /** Write stdout to this open file descriptor (a dump), instead of returning it. */
  stdoutFd?: number;
  /** Run as this user and group: root drops its privileges for code it does not trust. */
  user?: { uid: number; gid: number };
  /** Give the child only `env`, none of this process's own environment. */
  isolateEnv?: boolean;
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
  // Loaded on first use: most CLI commands run no program, and execa is ~100 modules.
  const { execa } = await import('execa');
  const result = await execa(command, [...args], {
    env: options.env,
    cwd: options.cwd,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    cancelSignal: options.signal,
    input: options.input,
    stdin: stdinOf(options),
    stdout: (options.stdoutFd ?? 'pipe') as StdoutOption,
    extendEnv: !options.isolateEnv,
    // libuv calls setgroups(0) before setgid/setuid: the child keeps none of root's groups.
    uid: options.user?.uid,
    gid: options.user?.gid,
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

/**
 * execa's types name descriptors 3-9 only, but it hands any number to spawn() as it
 * is, and spawn() dup2()s any open descriptor onto the child's stdin or stdout.
 */
type StdinOption = 'ignore' | 'pipe' | 3;
type StdoutOption = 'pipe' | 3;

function stdinOf(options: RunOptions): StdinOption {
  if (options.stdinFd !== undefined) return options.stdinFd as StdinOption;
  return options.input === undefined ? 'ignore' : 'pipe';
}

function lastLine(text: string): string {
  const lines = text
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? '';
}
