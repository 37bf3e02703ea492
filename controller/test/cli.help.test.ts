import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { AGENT_CLI, CONTROLLER_CLI, runCli } from './cli.fixtures.js';

/**
 * Every `wofleet` command has --help: the whole command tree is walked in-process,
 * and a few are run through the built CLIs to see help exit 0 with nothing on stderr.
 */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => [[...prefix, sub.name()], ...commandPaths(sub, [...prefix, sub.name()])]);
}

const PATHS = commandPaths(buildProgram());

describe('wofleet --help', () => {
  it('covers the commands of this issue', () => {
    expect(PATHS.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining([
        'ca init',
        'ca issue-operator',
        'controller migrate',
        'controller serve',
        'servers add',
        'servers list',
        'servers show',
        'servers remove',
        'sites list',
        'releases add',
        'releases list',
      ]),
    );
  });

  it.each(PATHS.map((p) => [p.join(' '), p] as const))('describes %s', (_name, path) => {
    let command = buildProgram();
    for (const name of path) command = command.commands.find((c) => c.name() === name) as Command;
    const help = command.helpInformation();
    expect(help).toContain(`Usage: wofleet ${path.join(' ')}`);
    expect(command.description()).not.toBe('');
    for (const option of command.options) expect(option.description, `${path.join(' ')} ${option.flags}`).not.toBe('');
  });

  it.each([
    ['servers add'],
    ['servers list'],
    ['servers update'],
    ['sites list'],
    ['releases add'],
    ['rollout start'],
    ['rollout status'],
    ['completion'],
  ])('wofleet %s --help ends with examples', (name) => {
    let command = buildProgram();
    for (const part of name.split(' ')) command = command.commands.find((c) => c.name() === part) as Command;
    let help = '';
    command.configureOutput({ writeOut: (text) => (help += text) });
    command.outputHelp();
    expect(help).toMatch(new RegExp(`\\nExamples?[^\\n]*:\\n  wofleet ${name.split(' ')[0]}`));
  });

  it.concurrent.each([
    ['wofleet --help', CONTROLLER_CLI, ['--help'], 'Usage: wofleet [options] [command]'],
    ['wofleet servers add --help', CONTROLLER_CLI, ['servers', 'add', '--help'], 'Usage: wofleet servers add [options] [name]'],
    ['wofleet ca init --help', CONTROLLER_CLI, ['ca', 'init', '--help'], 'Usage: wofleet ca init [options]'],
    ['wofleet-agent enroll --help', AGENT_CLI, ['enroll', '--help'], 'Usage: wofleet-agent enroll [options]'],
  ])('%s exits 0 with the usage', async (_name, cli, args, usage) => {
    const r = await runCli(cli, args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(usage);
  });

  it.concurrent.each([
    [CONTROLLER_CLI, ['servers', 'add', 'web-1', '--address', 'a:1', '--bogus'], "wofleet: error: unknown option '--bogus'"],
    [CONTROLLER_CLI, ['serverz', 'list'], "wofleet: error: unknown command 'serverz' (Did you mean servers?)"],
    [CONTROLLER_CLI, ['servers', 'show'], "wofleet: error: missing required argument 'name'"],
    [CONTROLLER_CLI, ['servers', 'list', '--label'], "wofleet: error: option '--label <key=value>' argument missing"],
    [
      CONTROLLER_CLI,
      ['rollout', 'status', '6f1c1d3e-0000-4000-8000-000000000000', '--wave', 'x'],
      "wofleet: error: invalid --wave 'x': expected a wave number (0 is the canary)",
    ],
    [CONTROLLER_CLI, ['sites', 'list', '--limit', '0'], "wofleet: error: invalid --limit '0': expected a whole number from 1 to 10000000"],
    [AGENT_CLI, ['status', '--bogus'], "wofleet-agent: error: unknown option '--bogus'"],
    [AGENT_CLI, ['frobnicate'], "wofleet-agent: error: unknown command 'frobnicate'"],
  ])('%s %j is a usage error (exit 2) in one line with the program prefix', async (cli, args, line) => {
    const r = await runCli(cli, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
  });
});
