import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '@wofleet/shared';

/**
 * Tiny Debian packages for the agent-upgrade tests, built by dpkg-deb in `dir`: package
 * `name` (wofleet-agent unless told) at `version`, installing only
 * /usr/share/wofleet-test/version (its version and a newline).
 */
export async function buildTestDeb(
  dir: string,
  version: string,
  name = 'wofleet-agent',
): Promise<{ file: string; bytes: Buffer; sha256: string }> {
  const tree = path.join(dir, `pkg-${name}-${version}`);
  await mkdir(path.join(tree, 'DEBIAN'), { recursive: true });
  await mkdir(path.join(tree, 'usr/share/wofleet-test'), { recursive: true });
  await writeFile(
    path.join(tree, 'DEBIAN/control'),
    `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: wofleet tests <t@example.com>\nDescription: test package\n`,
  );
  await writeFile(path.join(tree, 'usr/share/wofleet-test/version'), `${version}\n`);
  const file = path.join(dir, `${name}_${version}.deb`);
  await runCommand('dpkg-deb', ['--build', '--root-owner-group', tree, file]);
  const bytes = await readFile(file);
  return { file, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** An empty dpkg database under `root`, for `dpkg --root=<root>` (never the host's). */
export async function makeDpkgRoot(root: string): Promise<void> {
  await mkdir(path.join(root, 'var/lib/dpkg/updates'), { recursive: true });
  await mkdir(path.join(root, 'var/lib/dpkg/info'), { recursive: true });
  await writeFile(path.join(root, 'var/lib/dpkg/status'), '');
}

/** The version dpkg has completely installed under `root` (not one it is still unpacking). */
export async function installedVersion(root: string, name = 'wofleet-agent'): Promise<string | undefined> {
  // dpkg-query's own format placeholders, not a template.
  const query = ['-W', '-f', `\${Status} \${Version}`, name];
  const r = await runCommand('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, ...query]).catch(() => undefined);
  const [, version] = /^install ok installed (\S+)$/.exec(r?.stdout.trim() ?? '') ?? [];
  return version;
}

/** The installer argv that installs into `root` as `dpkg -i` would on a server. */
export function dpkgInto(root: string): string[] {
  return ['dpkg', `--root=${root}`, '--log=/dev/null', '--force-not-root', '-i'];
}
