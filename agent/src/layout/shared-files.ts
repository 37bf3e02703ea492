import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Layout } from '../config/paths.js';
import { restrictFileAccess } from '../disk/file-access.js';
import { MU_PLUGIN_FILE, muPluginSource } from '../health/mu-plugin.js';
import { opcacheResetScript } from '../runtime/opcache.js';
import type { WebUser } from '../runtime/web-user.js';
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

/** The health token's mode: root writes it, the web user's group (PHP) reads it, nobody else. */
export const HEALTH_TOKEN_MODE = 0o640;

/**
 * The shared secret the health endpoint requires. PHP must read it, so it is
 * root:<web user's group> 0640; a token from before (0644) gets that mode too.
 * Returns whether a new token was written.
 */
export async function ensureHealthToken(layout: Layout, webUser: WebUser): Promise<boolean> {
  const file = healthTokenFile(layout);
  const owner = { uid: process.getuid?.() ?? 0, gid: webUser.gid };
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (!/^[0-9a-f]{64}$/.test(existing.trim())) {
    await writeFileAtomic(file, `${randomBytes(32).toString('hex')}\n`, HEALTH_TOKEN_MODE, owner);
    return true;
  }
  await restrictFileAccess(file, owner, HEALTH_TOKEN_MODE);
  return false;
}
