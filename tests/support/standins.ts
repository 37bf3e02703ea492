import { execa } from 'execa';
import type { Stack } from './stack.js';

export interface StandinResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout as WordOps output must be read (DESIGN §4): colours stripped, split on \r and \n, blank lines dropped. */
  lines: string[];
}

const ANSI = /\x1b\[[0-9;]*m/g;

export function outputLines(text: string): string[] {
  return text
    .replace(ANSI, '')
    .split(/[\r\n]+/)
    .map((line) => line.trim())
    .filter(Boolean);
}

async function runProgram(stack: Stack, bin: string, args: readonly string[], env: Record<string, string> = {}): Promise<StandinResult> {
  const result = await execa(bin, [...args], {
    env: { ...stack.env, ...env },
    stdin: 'ignore',
    reject: false,
    timeout: 120_000,
    stripFinalNewline: false,
  });
  const stdout = String(result.stdout ?? '');
  return { exitCode: result.exitCode ?? -1, stdout, stderr: String(result.stderr ?? ''), lines: outputLines(stdout) };
}

/** Runs the `wo` stand-in against the stack; never throws on a non-zero exit. */
export function runWo(stack: Stack, args: readonly string[]): Promise<StandinResult> {
  return runProgram(stack, stack.woBin, args);
}

/** Runs the real WP-CLI of the stack (add `--allow-root`: we are root, as WP-CLI insists). */
export function runWp(stack: Stack, args: readonly string[], env: Record<string, string> = {}): Promise<StandinResult> {
  return runProgram(stack, stack.wpBin, args, env);
}
