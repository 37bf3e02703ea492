import { readFile } from 'node:fs/promises';
import { UsageError } from '@wofleet/shared';
import type { Engine } from '../engine.js';
import { baselineSchema, readBaseline, validateBaselineTargets, writeBaseline, type Baseline } from '../sites/baseline.js';
import { requireState } from '../state/store.js';
import { withServerLock } from './mutation.js';

export async function baselineShowCommand(engine: Engine): Promise<Baseline> {
  await requireState(engine.layout);
  return readBaseline(engine.layout);
}

export interface BaselineChange {
  plugin?: string[];
  theme?: string;
  option?: string[];
  file?: string;
}

/** Parts not given keep their value; the result is validated against the shared tree. */
export async function baselineSetCommand(engine: Engine, change: BaselineChange): Promise<Baseline> {
  return withServerLock(engine, 'baseline set', async () => {
    await requireState(engine.layout);
    let draft: unknown;
    if (change.file) {
      if (change.plugin || change.theme !== undefined || change.option)
        throw new UsageError('--file replaces the whole baseline: give it alone');
      const text = await readFile(change.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read ${change.file}: ${err.code ?? err.message}`);
      });
      try {
        draft = JSON.parse(text);
      } catch {
        throw new UsageError(`${change.file} is not valid JSON`);
      }
    } else {
      const current = await readBaseline(engine.layout);
      const options = { ...current.options };
      for (const pair of change.option ?? []) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError(`--option takes name=value, got '${pair}'`);
        options[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      draft = {
        plugins: change.plugin ?? current.plugins,
        theme: change.theme === undefined ? current.theme : change.theme === '' ? null : change.theme,
        options,
      };
    }
    const parsed = baselineSchema.safeParse(draft);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`invalid baseline: ${issue?.path.join('.') || '(top level)'}: ${issue?.message}`);
    }
    await validateBaselineTargets(engine.layout, parsed.data);
    await writeBaseline(engine.layout, parsed.data);
    return parsed.data;
  });
}
