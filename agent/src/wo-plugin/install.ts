import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { shippedDir, StateError } from '@wofleet/shared';
import { fsyncDir, writeFileAtomic } from '../state/atomic-file.js';

/**
 * `wo multitenancy`: the WordOps plugin that runs this agent. WordOps (cement)
 * enables a plugin by a `[name] enable_plugin = true` file in its plugin config
 * directory and then imports `name.py` from its plugin directory; a config whose
 * module is missing breaks every `wo` command. So the module is written before
 * the config, and the config removed before the module.
 */

export const WO_PLUGIN_NAME = 'multitenancy';

/** The shipped files (agent/wo-plugin/), resolved from this module in src/ and dist/ alike. */
const SHIPPED_DIR = shippedDir(import.meta.url, '../../wo-plugin/', 'wo-plugin');

export interface WoPluginPaths {
  /** WordOps' plugin_dir. */
  dir: string;
  /** WordOps' plugin_config_dir. */
  configDir: string;
}

/** How the plugin runs this agent: absolute paths, recorded in its config. */
export interface AgentInvocation {
  node: string;
  script: string;
  /** The agent config the plugin passes as --config; unset: the agent's own default. */
  config?: string;
}

/** What `init` does with the plugin: `--wo-plugin` installs it, `--no-wo-plugin` removes it. */
export type WoPluginRequest = { action: 'install'; agent: AgentInvocation } | { action: 'remove' };

export const WO_PLUGIN_ACTIONS = {
  installed: 'installed',
  updated: 'updated',
  unchanged: 'unchanged',
  removed: 'removed',
  absent: 'absent',
} as const;
export type WoPluginAction = (typeof WO_PLUGIN_ACTIONS)[keyof typeof WO_PLUGIN_ACTIONS];

export interface WoPluginResult {
  action: WoPluginAction;
  module: string;
  config: string;
}

function pluginFiles(paths: WoPluginPaths): { module: string; config: string } {
  return { module: path.join(paths.dir, `${WO_PLUGIN_NAME}.py`), config: path.join(paths.configDir, `${WO_PLUGIN_NAME}.conf`) };
}

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function readIfPresent(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

/**
 * WordOps must be installed: its setup creates the plugin config directory. The
 * plugin directory itself is not shipped by WordOps (it is only searched), so
 * its parent (/var/lib/wo, WordOps' own) is enough. Writes nothing.
 */
export async function checkWoPluginTarget(paths: WoPluginPaths): Promise<void> {
  if (!(await isDirectory(paths.configDir))) {
    throw new StateError(`WordOps plugin config directory ${paths.configDir} is missing (is WordOps installed? config woPlugin.configDir)`);
  }
  if (!(await isDirectory(paths.dir)) && !(await isDirectory(path.dirname(paths.dir)))) {
    throw new StateError(`WordOps plugin directory ${paths.dir} and its parent are missing (is WordOps installed? config woPlugin.dir)`);
  }
}

/** The plugin config: enabled, and where the agent, its node and its config are. */
export function renderWoPluginConfig(template: string, agent: AgentInvocation): string {
  const values: Record<string, string> = { '@NODE@': agent.node, '@AGENT@': agent.script, '@CONFIG@': agent.config ?? '' };
  return template.replace(/@[A-Z]+@/g, (key) => {
    const value = values[key];
    if (value === undefined) throw new Error(`wo plugin template: unknown placeholder ${key}`);
    return value;
  });
}

/** How the plugin's files are written: atomically (tests put a failing writer in). */
export type FileWriter = (target: string, data: string, mode: number) => Promise<void>;

/** Install or refresh the plugin; unchanged files are not rewritten. */
export async function installWoPlugin(
  paths: WoPluginPaths,
  agent: AgentInvocation,
  write: FileWriter = writeFileAtomic,
): Promise<WoPluginResult> {
  await checkWoPluginTarget(paths);
  const files = pluginFiles(paths);
  const module = await readFile(path.join(SHIPPED_DIR, `${WO_PLUGIN_NAME}.py`), 'utf8');
  const config = renderWoPluginConfig(await readFile(path.join(SHIPPED_DIR, `${WO_PLUGIN_NAME}.conf`), 'utf8'), agent);
  const [oldModule, oldConfig] = await Promise.all([readIfPresent(files.module), readIfPresent(files.config)]);
  if (oldModule === module && oldConfig === config) return { action: WO_PLUGIN_ACTIONS.unchanged, ...files };

  await mkdir(paths.dir, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  if (oldModule !== module) await write(files.module, module, 0o644);
  if (oldConfig !== config) {
    try {
      await write(files.config, config, 0o644);
    } catch (err) {
      if (oldModule === undefined) await rm(files.module, { force: true });
      throw err;
    }
  }
  const fresh = oldModule === undefined && oldConfig === undefined;
  return { action: fresh ? WO_PLUGIN_ACTIONS.installed : WO_PLUGIN_ACTIONS.updated, ...files };
}

/** Remove the plugin: its config first (wo stops loading it), then the module and Python's cached bytecode of it. */
export async function removeWoPlugin(paths: WoPluginPaths): Promise<WoPluginResult> {
  const files = pluginFiles(paths);
  const present = (await Promise.all([readIfPresent(files.config), readIfPresent(files.module)])).some((f) => f !== undefined);
  await rm(files.config, { force: true });
  if (await isDirectory(paths.configDir)) await fsyncDir(paths.configDir);
  await rm(files.module, { force: true });
  const cacheDir = path.join(paths.dir, '__pycache__');
  const cached = await readdir(cacheDir).catch(() => [] as string[]);
  for (const name of cached.filter((n) => n.startsWith(`${WO_PLUGIN_NAME}.`) && n.endsWith('.pyc'))) {
    await rm(path.join(cacheDir, name), { force: true });
  }
  return { action: present ? WO_PLUGIN_ACTIONS.removed : WO_PLUGIN_ACTIONS.absent, ...files };
}

export async function applyWoPlugin(paths: WoPluginPaths, request: WoPluginRequest): Promise<WoPluginResult> {
  return request.action === 'install' ? installWoPlugin(paths, request.agent) : removeWoPlugin(paths);
}
