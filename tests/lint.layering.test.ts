import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/agent.js';

/**
 * The layering rules of `pnpm lint` (.dependency-cruiser.cjs) on small planted trees:
 * each rule must refuse what it is there to refuse, and the real tree must pass.
 */
const DEPCRUISE = path.join(REPO_ROOT, 'node_modules/.bin/depcruise');
const CONFIG = path.join(REPO_ROOT, '.dependency-cruiser.cjs');
const SOURCES = ['agent/src', 'controller/src', 'shared/src', 'proto/src'];

let tree: string | undefined;
afterEach(() => {
  if (tree) rmSync(tree, { recursive: true, force: true });
  tree = undefined;
});

/** A tree of TypeScript files laid out like the repository, cruised with the real rules. */
async function cruise(files: Record<string, string>): Promise<{ exitCode: number; output: string }> {
  tree = mkdtempSync(path.join(os.tmpdir(), 'wofleet-layering-'));
  copyFileSync(path.join(REPO_ROOT, 'tsconfig.base.json'), path.join(tree, 'tsconfig.base.json'));
  for (const dir of SOURCES) mkdirSync(path.join(tree, dir), { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    writeFileSync(path.join(tree, file), text);
  }
  const r = await execa(DEPCRUISE, [...SOURCES, '--config', CONFIG], { cwd: tree, reject: false, all: true });
  return { exitCode: r.exitCode ?? -1, output: r.all ?? '' };
}

describe('layering rules (pnpm lint)', () => {
  it('pass on the repository as it is', async () => {
    const r = await execa(DEPCRUISE, [...SOURCES, '--config', CONFIG], { cwd: REPO_ROOT, reject: false, all: true });
    expect(r.all).toContain('no dependency violations found');
    expect(r.exitCode).toBe(0);
  });

  it('refuse a policy module that reads a file', async () => {
    const r = await cruise({
      'controller/src/campaigns/policy.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
    });
    expect(r.output).toContain('pure-modules-do-no-io: controller/src/campaigns/policy.ts');
    expect(r.exitCode).not.toBe(0);
  });

  it('refuse a validator or the presence decision that opens a database or a process', async () => {
    const r = await cruise({
      'shared/src/validate/domain.ts': "import { execa } from 'execa';\nexport const run = execa;\n",
      'controller/src/presence/decide.ts': "import postgres from 'postgres';\nexport const db = postgres;\n",
    });
    expect(r.output).toContain('pure-modules-do-no-io: shared/src/validate/domain.ts');
    expect(r.output).toContain('pure-modules-do-no-io: controller/src/presence/decide.ts');
    expect(r.exitCode).not.toBe(0);
  });

  it('refuse a cycle between two folders', async () => {
    const r = await cruise({
      'agent/src/steps/prune.ts': "import { DEFAULT } from '../cli/main.js';\nexport const KEEP = DEFAULT;\n",
      'agent/src/cli/main.ts': "import { KEEP } from '../steps/prune.js';\nexport const DEFAULT = 3;\nexport const shown = KEEP;\n",
    });
    expect(r.output).toContain('no-folder-cycles');
    expect(r.output).toContain('no-module-cycles');
    expect(r.exitCode).not.toBe(0);
  });

  it('refuse the agent importing the controller, and shared importing either', async () => {
    const r = await cruise({
      'controller/src/campaigns/model.ts': 'export const STATES = [];\n',
      'agent/src/engine.ts': "import { STATES } from '../../controller/src/campaigns/model.js';\nexport const s = STATES;\n",
      'shared/src/index.ts': "import { s } from '../../agent/src/engine.js';\nexport const t = s;\n",
    });
    expect(r.output).toContain('agent-not-controller: agent/src/engine.ts');
    expect(r.output).toContain('shared-is-a-leaf: shared/src/index.ts');
    expect(r.exitCode).not.toBe(0);
  });
});
