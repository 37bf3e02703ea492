import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadYamlConfig } from '../src/index.js';

const schema = z.object({ root: z.string().default('/x'), probe: z.object({ port: z.number() }).strict().optional() }).strict();

async function file(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-config-'));
  const f = path.join(dir, 'c.yaml');
  await writeFile(f, text);
  return f;
}

describe('loadYamlConfig', () => {
  it('fills defaults', async () => {
    expect(await loadYamlConfig(await file(''), schema)).toEqual({ root: '/x' });
  });
  it('names the bad key', async () => {
    await expect(loadYamlConfig(await file('probe:\n  port: "80"\n'), schema)).rejects.toThrow(/probe\.port: /);
  });
  it('refuses unknown keys, naming them', async () => {
    await expect(loadYamlConfig(await file('rooot: /y\n'), schema)).rejects.toThrow(/unknown key: rooot/);
  });
  it('reports YAML syntax errors as ConfigError', async () => {
    await expect(loadYamlConfig(await file('root: [\n'), schema)).rejects.toThrow(ConfigError);
  });
  it('a missing explicit file is an error; a missing optional one gives defaults', async () => {
    await expect(loadYamlConfig('/nonexistent/wofleet.yaml', schema)).rejects.toThrow(/cannot read \(ENOENT\)/);
    expect(await loadYamlConfig('/nonexistent/wofleet.yaml', schema, { optional: true })).toEqual({ root: '/x' });
  });
});
