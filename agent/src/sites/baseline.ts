import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StateError, UsageError } from '@wofleet/shared';
import type { Layout } from '../config/paths.js';
import { writeFileAtomic } from '../state/atomic-file.js';

/** baseline.json: what the MU-plugin enforces on every site (DESIGN §5.5). */
export const baselineSchema = z
  .object({
    plugins: z.array(z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?\.php$/, 'plugin must be like dir/file.php')).default([]),
    theme: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'theme must be a theme directory name')
      .nullable()
      .default(null),
    options: z
      .record(z.string().regex(/^[A-Za-z0-9_]+$/, 'option names are [A-Za-z0-9_]'), z.union([z.string(), z.number(), z.boolean()]))
      .default({}),
  })
  .strict();
export type Baseline = z.output<typeof baselineSchema>;

export const DEFAULT_BASELINE: Baseline = { plugins: [], theme: null, options: {} };

export async function readBaseline(layout: Layout): Promise<Baseline> {
  const text = await readFile(layout.baselineFile, 'utf8');
  const parsed = baselineSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new StateError(`${layout.baselineFile} is invalid: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Refuses a baseline naming plugins or a theme the shared tree does not have. */
export async function validateBaselineTargets(layout: Layout, baseline: Baseline): Promise<void> {
  for (const plugin of baseline.plugins) {
    const file = path.join(layout.wpContent, 'plugins', plugin);
    if (
      !(await access(file).then(
        () => true,
        () => false,
      ))
    ) {
      throw new UsageError(`baseline plugin ${plugin} is not in the shared plugins (${file})`);
    }
  }
  if (baseline.theme) {
    const style = path.join(layout.wpContent, 'themes', baseline.theme, 'style.css');
    if (
      !(await access(style).then(
        () => true,
        () => false,
      ))
    ) {
      throw new UsageError(`baseline theme ${baseline.theme} is not in the shared themes (${style})`);
    }
  }
}

export async function writeBaseline(layout: Layout, baseline: Baseline): Promise<void> {
  await writeFileAtomic(layout.baselineFile, `${JSON.stringify(baseline, null, 2)}\n`, 0o644);
}
