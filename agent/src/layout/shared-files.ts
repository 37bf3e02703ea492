import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Layout } from '../config/paths.js';
import { MU_PLUGIN_FILE, muPluginSource } from '../health/mu-plugin.js';
import { opcacheResetScript } from '../runtime/opcache.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { dispatcherSource } from './dispatcher.js';
import { siteBootstrapSource } from './site-bootstrap.js';

/** The files wofleet generates into the shared tree, with their current content. */
export function managedFiles(layout: Layout): { path: string; content: string }[] {
  return [
    { path: layout.dispatcher, content: dispatcherSource(layout) },
    { path: layout.siteBootstrap, content: siteBootstrapSource(layout) },
    { path: layout.opcacheResetScript, content: opcacheResetScript() },
    { path: path.join(layout.muPluginsDir, MU_PLUGIN_FILE), content: muPluginSource(layout) },
  ];
}

/** Write every managed file whose content differs; returns the paths written. */
export async function writeManagedFiles(layout: Layout): Promise<string[]> {
  const written: string[] = [];
  for (const file of managedFiles(layout)) {
    const existing = await readFile(file.path, 'utf8').catch(() => undefined);
    if (existing === file.content) continue;
    await writeFileAtomic(file.path, file.content, 0o644);
    written.push(file.path);
  }
  return written;
}

export function healthTokenFile(layout: Layout): string {
  return path.join(layout.configDir, 'health-token');
}

/** The shared secret the health endpoint requires; PHP must read it, so 0644. */
export async function ensureHealthToken(layout: Layout): Promise<boolean> {
  const existing = await readFile(healthTokenFile(layout), 'utf8').catch(() => '');
  if (/^[0-9a-f]{64}$/.test(existing.trim())) return false;
  await writeFileAtomic(healthTokenFile(layout), `${randomBytes(32).toString('hex')}\n`, 0o644);
  return true;
}
