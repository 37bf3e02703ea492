import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { makeAgentConfig } from '../src/config/load.js';
import { layoutOf } from '../src/config/paths.js';
import { cleanupStaging, listReleases, removeTree, STAGE_KILL_POINTS, stageRelease } from '../src/releases/index.js';
import { FIXTURE_645 } from '../../tests/support/archives.js';

const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const roots: string[] = [];
let mirror: Server;
let mirrorUrl: string;

beforeAll(async () => {
  const files = new Map([
    ['/wordpress-6.4.5.tar.gz', await readFile(FIXTURE_645)],
    ['/wordpress-6.4.5.tar.gz.sha1', await readFile(`${FIXTURE_645}.sha1`)],
  ]);
  mirror = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
  mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => mirror.close(() => resolve()));
  for (const root of roots) await removeTree(root);
});

/** A child that stages `6.4.5` from the mirror with WOFLEET_KILL_AT set; resolves with how it ended. */
async function stageInChild(root: string, killAt: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const src = (rel: string) => pathToFileURL(path.join(repoRoot, rel)).href;
  const script = path.join(root, 'stage-child.mts');
  await writeFile(
    script,
    [
      `import { silentLogger } from ${JSON.stringify(src('shared/dist/index.js'))};`,
      `import { makeAgentConfig } from ${JSON.stringify(src('agent/src/config/load.ts'))};`,
      `import { layoutOf } from ${JSON.stringify(src('agent/src/config/paths.ts'))};`,
      `import { stageRelease } from ${JSON.stringify(src('agent/src/releases/index.ts'))};`,
      `const config = makeAgentConfig(JSON.parse(process.env.STAGE_CONFIG ?? '{}'));`,
      `await stageRelease({ config, layout: layoutOf(config), log: silentLogger() }, { source: '6.4.5' });`,
      `console.log('staged without being killed');`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot,
    env: { ...process.env, WOFLEET_KILL_AT: killAt, STAGE_CONFIG: JSON.stringify(configInput(root)) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

function configInput(root: string) {
  return { sharedRoot: path.join(root, 'shared'), sitesRoot: path.join(root, 'www'), stateDir: path.join(root, 'state'), mirrorUrl };
}

describe('a stage killed at a kill point', () => {
  it.each(STAGE_KILL_POINTS)('leaves only leftovers that cleanup removes, after %s', async (point) => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-kill-'));
    roots.push(root);
    const config = makeAgentConfig(configInput(root));
    const layout = layoutOf(config);

    const result = await stageInChild(root, point);
    expect(result.signal, result.stderr).toBe('SIGKILL');

    expect(await listReleases(layout)).toEqual([]);
    expect((await readdir(layout.releasesDir)).filter((n) => n !== '.staging')).toEqual([]);
    const leftovers = await readdir(layout.stagingDir);
    expect(leftovers.length).toBeGreaterThan(0); // the download, and from after-extract on a temp tree

    const removed = await cleanupStaging(layout);
    expect(removed.sort()).toEqual(leftovers.map((n) => path.join(layout.stagingDir, n)).sort());
    expect(await readdir(layout.stagingDir)).toEqual([]);

    const release = await stageRelease({ config, layout, log: silentLogger() }, { source: '6.4.5' });
    expect(release.reused).toBe(false);
    expect((await listReleases(layout)).map((r) => r.id)).toEqual([release.id]);
  });
});
