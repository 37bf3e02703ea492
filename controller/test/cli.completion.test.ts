import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CLI, CONTROLLER_CLI, runCli } from './cli.fixtures.js';

/**
 * `wofleet completion bash|zsh` and `wofleet-agent completion bash|zsh`, run for real:
 * the built CLI prints the script, a shell sources it and calls its completion function
 * with the words typed so far (bash: COMP_WORDS/COMP_CWORD -> COMPREPLY; zsh: words/CURRENT,
 * with _describe and _files replaced by functions that print what they were given).
 * zsh must be installed (apt-get install zsh).
 */
const run = promisify(execFile);
let dir: string;
const FILES = '(files)';
const scripts: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-completion-'));
  await writeFile(path.join(dir, 'ca-bundle.pem'), '');
  for (const [name, cli] of [
    ['wofleet', CONTROLLER_CLI],
    ['wofleet-agent', AGENT_CLI],
  ] as const) {
    for (const shell of ['bash', 'zsh']) {
      const r = await runCli(cli, ['completion', shell]);
      expect(r.code, r.stderr).toBe(0);
      const file = path.join(dir, `${name}.${shell}`);
      await writeFile(file, r.stdout);
      scripts[`${name}.${shell}`] = file;
    }
  }
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What bash offers for the last word of `line` (a trailing space: an empty word). */
async function bashComplete(program: string, line: string): Promise<string[]> {
  const words = line.split(' ');
  const script = [
    `source ${JSON.stringify(scripts[`${program}.bash`])}`,
    `COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `_${program.replace('-', '_')}`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', script], { cwd: dir });
  return stdout.split('\n').filter((l) => l !== '');
}

async function zshComplete(program: string, line: string): Promise<string[]> {
  const words = line.split(' ');
  const script = [
    'compdef() { :; }',
    `_describe() { local name=\${@[-1]}; print -rl -- \${\${(P)name}%%:*}; }`,
    `_files() { print -r -- '${FILES}'; }`,
    `source ${JSON.stringify(scripts[`${program}.zsh`])}`,
    `words=(${words.map((w) => `'${w}'`).join(' ')})`,
    `CURRENT=${words.length}`,
    // A completion function returns 1 when it offers nothing.
    `_${program.replace('-', '_')} || true`,
  ].join('\n');
  const { stdout } = await run('zsh', ['-f', '-c', script], { cwd: dir });
  return (
    stdout
      .split('\n')
      .filter((l) => l !== '')
      // _describe is given every candidate; the shell then keeps those the word starts.
      .filter((l) => l === FILES || l.startsWith(words.at(-1) ?? ''))
  );
}

describe.each([
  ['bash', bashComplete, ['ca-bundle.pem']],
  ['zsh', zshComplete, [FILES]],
] as const)('%s completion', (_shell, complete, pathAnswer) => {
  it('offers the commands, then the subcommands of the one typed', async () => {
    expect(await complete('wofleet', 'wofleet ')).toEqual(expect.arrayContaining(['servers', 'rollout', 'releases', 'completion']));
    expect(await complete('wofleet', 'wofleet ser')).toEqual(['servers']);
    expect((await complete('wofleet', 'wofleet servers ')).sort()).toEqual(
      ['add', 'list', 'reenroll', 'remove', 'show', 'sync', 'token', 'update'].sort(),
    );
  });

  it("offers a command's options and the program's after a '-'", async () => {
    const offered = await complete('wofleet', 'wofleet servers add web-1 --');
    expect(offered).toEqual(
      expect.arrayContaining(['--address', '--label', '--canary', '--token-ttl', '--json', '--help', '--controller']),
    );
    expect(offered).not.toContain('--live');
    expect(await complete('wofleet', 'wofleet rollout start --offline-w')).toEqual(['--offline-wait']);
  });

  it("skips options and their values on the way to the command, and completes a file option's value as a path", async () => {
    expect(await complete('wofleet', 'wofleet --controller 10.0.0.1:7443 servers l')).toEqual(['list']);
    expect(await complete('wofleet', 'wofleet servers list --label region=eu --j')).toEqual(['--json']);
    expect(await complete('wofleet', 'wofleet --controller ')).toEqual([]);
    expect(await complete('wofleet', 'wofleet --ca ca-')).toEqual(pathAnswer);
  });

  it('completes wofleet-agent the same way', async () => {
    expect(await complete('wofleet-agent', 'wofleet-agent -c /etc/wofleet/agent.yaml sta')).toEqual(['status']);
    expect(await complete('wofleet-agent', 'wofleet-agent enroll --f')).toEqual(expect.arrayContaining(['--force']));
  });
});

describe('completion command', () => {
  it('refuses an unknown shell as a usage error with the prefix', async () => {
    const r = await runCli(CONTROLLER_CLI, ['completion', 'fish']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "wofleet: error: command-argument value 'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh.\n",
    );
  });
});
