import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateError } from '@wofleet/shared';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../src/cli/program.js';
import { writeFileAtomic } from '../src/state/atomic-file.js';
import { installWoPlugin, removeWoPlugin, type AgentInvocation, type FileWriter, type WoPluginPaths } from '../src/wo-plugin/install.js';

const SHIPPED = fileURLToPath(new URL('../wo-plugin/', import.meta.url));
const AGENT: AgentInvocation = { node: '/usr/bin/node', script: '/opt/wofleet/agent/dist/cli/main.js', config: '/etc/wofleet/agent.yaml' };

/** A WordOps-like root: /etc/wo/plugins.d and /var/lib/wo exist, the plugin dir does not (as after WordOps' install). */
async function woRoot(): Promise<WoPluginPaths & { root: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-woplugin-'));
  const paths = { root, dir: path.join(root, 'var/lib/wo/plugins'), configDir: path.join(root, 'etc/wo/plugins.d') };
  await mkdir(paths.configDir, { recursive: true });
  await mkdir(path.dirname(paths.dir), { recursive: true });
  return paths;
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.sort();
}

describe('installWoPlugin', () => {
  it('writes the shipped module into the plugin dir and an enabled config naming the agent', async () => {
    const wo = await woRoot();
    const r = await installWoPlugin(wo, AGENT);
    expect(r.action).toBe('installed');
    expect(await readFile(r.module, 'utf8')).toBe(await readFile(path.join(SHIPPED, 'multitenancy.py'), 'utf8'));
    const conf = await readFile(r.config, 'utf8');
    expect(conf).toMatch(/^\[multitenancy\]$/m);
    expect(conf).toMatch(/^enable_plugin = true$/m);
    expect(conf).toMatch(/^node = \/usr\/bin\/node$/m);
    expect(conf).toMatch(/^agent = \/opt\/wofleet\/agent\/dist\/cli\/main\.js$/m);
    expect(conf).toMatch(/^config = \/etc\/wofleet\/agent\.yaml$/m);
    expect(conf).not.toContain('@');
    for (const file of [r.module, r.config]) expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect((await stat(wo.dir)).mode & 0o777).toBe(0o755);
  });

  it('leaves the config line empty when the agent runs on its default config', async () => {
    const wo = await woRoot();
    const r = await installWoPlugin(wo, { node: AGENT.node, script: AGENT.script });
    expect(await readFile(r.config, 'utf8')).toMatch(/^config = $/m);
  });

  it('changes nothing when run again with the same agent', async () => {
    const wo = await woRoot();
    const first = await installWoPlugin(wo, AGENT);
    const before = await Promise.all([stat(first.module), stat(first.config)]);
    const tree = await listTree(wo.root);
    const again = await installWoPlugin(wo, AGENT);
    expect(again.action).toBe('unchanged');
    const after = await Promise.all([stat(first.module), stat(first.config)]);
    expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]));
    expect(await listTree(wo.root)).toEqual(tree);
  });

  it('rewrites the config when the agent moved, and the module when it differs from the shipped one', async () => {
    const wo = await woRoot();
    const first = await installWoPlugin(wo, AGENT);
    await writeFile(first.module, '# an older plugin\n');
    const r = await installWoPlugin(wo, { ...AGENT, script: '/usr/local/lib/wofleet/main.js' });
    expect(r.action).toBe('updated');
    expect(await readFile(r.config, 'utf8')).toMatch(/^agent = \/usr\/local\/lib\/wofleet\/main\.js$/m);
    expect(await readFile(r.module, 'utf8')).toBe(await readFile(path.join(SHIPPED, 'multitenancy.py'), 'utf8'));
  });

  it('refuses a server without WordOps plugin config dir in one line, writing nothing', async () => {
    const wo = await woRoot();
    const paths = { ...wo, configDir: path.join(wo.root, 'etc/wo-missing/plugins.d') };
    const before = await listTree(wo.root);
    const err = await installWoPlugin(paths, AGENT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as Error).message).toBe(
      `WordOps plugin config directory ${paths.configDir} is missing (is WordOps installed? config woPlugin.configDir)`,
    );
    expect(await listTree(wo.root)).toEqual(before);
  });

  it('refuses a plugin dir whose parent is missing, writing nothing', async () => {
    const wo = await woRoot();
    const paths = { ...wo, dir: path.join(wo.root, 'nowhere/wo/plugins') };
    const before = await listTree(wo.root);
    await expect(installWoPlugin(paths, AGENT)).rejects.toThrow(
      /^WordOps plugin directory .*nowhere\/wo\/plugins and its parent are missing/,
    );
    expect(await listTree(wo.root)).toEqual(before);
  });

  it('takes the module back out when the config cannot be written, so wo never loads half a plugin', async () => {
    const wo = await woRoot();
    const failingConfig: FileWriter = async (target, data, mode) => {
      if (target.endsWith('.conf')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      await writeFileAtomic(target, data, mode);
    };
    await expect(installWoPlugin(wo, AGENT, failingConfig)).rejects.toThrow(/ENOSPC/);
    expect(await readdir(wo.dir)).toEqual([]);
    expect(await readdir(wo.configDir)).toEqual([]);
  });

  it('refuses a config path that is not a file before writing anything', async () => {
    const wo = await woRoot();
    await mkdir(path.join(wo.configDir, 'multitenancy.conf'));
    await expect(installWoPlugin(wo, AGENT)).rejects.toThrow(/EISDIR/);
    await expect(stat(wo.dir)).rejects.toThrow(/ENOENT/);
  });
});

describe('removeWoPlugin', () => {
  it("removes the config, the module and Python's bytecode of it, and nothing else", async () => {
    const wo = await woRoot();
    const r = await installWoPlugin(wo, AGENT);
    await mkdir(path.join(wo.dir, '__pycache__'));
    await writeFile(path.join(wo.dir, '__pycache__', 'multitenancy.cpython-311.pyc'), 'bytecode');
    await writeFile(path.join(wo.dir, '__pycache__', 'other.cpython-311.pyc'), 'bytecode');
    await writeFile(path.join(wo.dir, 'other.py'), '');
    await writeFile(path.join(wo.configDir, 'site.conf'), '[site]\nenable_plugin = true\n');

    expect((await removeWoPlugin(wo)).action).toBe('removed');
    await expect(stat(r.module)).rejects.toThrow(/ENOENT/);
    await expect(stat(r.config)).rejects.toThrow(/ENOENT/);
    expect(await listTree(wo.dir)).toEqual(['__pycache__', '__pycache__/other.cpython-311.pyc', 'other.py']);
    expect(await readdir(wo.configDir)).toEqual(['site.conf']);
  });

  it('reports absent when there is nothing to remove, even without WordOps', async () => {
    const wo = await woRoot();
    expect((await removeWoPlugin(wo)).action).toBe('absent');
    expect((await removeWoPlugin({ dir: path.join(wo.root, 'none/a'), configDir: path.join(wo.root, 'none/b') })).action).toBe('absent');
  });
});

describe('the plugin module', () => {
  it("offers exactly the agent's operator commands, with the agent's own descriptions", async () => {
    const source = await readFile(path.join(SHIPPED, 'multitenancy.py'), 'utf8');
    const table = source.slice(source.indexOf('SUBCOMMANDS = ('), source.indexOf('\n)\n'));
    const offered = [...table.matchAll(/^ {4}\('([a-z-]+)', '([^']*)'\),$/gm)].map((m) => [m[1], m[2]]);
    // Not WordOps commands: the daemon's own, and the shell completion of wofleet-agent itself.
    const daemonOnly = new Set(['serve', 'enroll', 'completion']);
    const agent = createProgram()
      .commands.filter((c) => !daemonOnly.has(c.name()))
      .map((c) => [c.name(), c.description()]);
    expect(offered).toEqual(agent);
  });
});
