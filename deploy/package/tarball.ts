import path from 'node:path';
import { execa } from 'execa';

/** <dir>.tar.gz beside outDir: one directory, runnable wherever it is extracted (bin/<command>). */
export async function buildTarball(dir: string, outDir: string, gzipLevel: number): Promise<string> {
  const name = path.basename(dir);
  const tarball = path.join(outDir, `${name}.tar.gz`);
  await execa('tar', [
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--sort=name',
    '-I',
    `gzip -n -${gzipLevel}`,
    '-cf',
    tarball,
    '-C',
    path.dirname(dir),
    name,
  ]);
  return tarball;
}
