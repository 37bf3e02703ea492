import { rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { layOutProgram } from './bundle.js';
import type { Program } from './programs.js';

/** <command>-<version>-linux-x64.tar.gz: one directory, runnable wherever it is extracted (bin/<command>). */
export async function buildTarball(program: Program, version: string, stage: string, outDir: string, gzipLevel: number): Promise<string> {
  const name = `${program.command}-${version}-linux-x64`;
  const dir = path.join(stage, name);
  await rm(dir, { recursive: true, force: true });
  await layOutProgram(program, dir, version);
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
    stage,
    name,
  ]);
  return tarball;
}
