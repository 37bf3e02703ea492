import { spawn } from 'node:child_process';

/** What a CLI run printed and how it ended. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a built CLI (a .js file) on this node, as an operator would, with `stdin` piped in (else none); `env` is its whole environment. */
export function runNodeProgram(cli: string, args: readonly string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  return runCliCommand([process.execPath, cli], args, env, stdin);
}

/** runNodeProgram for any command: `command` is its argv before `args` (a packaged binary, or another node and a script). */
export function runCliCommand(
  command: readonly string[],
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  stdin?: string,
): Promise<CliResult> {
  const [program, ...leading] = command;
  if (program === undefined) throw new Error('runCliCommand: empty command');
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...leading, ...args], { env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdin?.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The parent's environment without anything that would point a CLI elsewhere (WOFLEET_*, DATABASE_URL), logs silenced, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('WOFLEET_') && key !== 'DATABASE_URL') env[key] = value;
  }
  return { ...env, WOFLEET_LOG_LEVEL: 'silent', ...extra };
}
