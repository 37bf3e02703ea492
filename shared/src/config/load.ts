import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parse as parseYaml } from 'yaml';

/**
 * Reads a YAML config file and validates it against a zod schema. Every message
 * names the offending key (`probe.port: expected number`), and unknown keys are
 * refused so a typo never silently falls back to a default.
 */
export async function loadYamlConfig<S extends z.ZodType>(
  file: string,
  schema: S,
  options: { optional?: boolean } = {},
): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && options.optional) return validateConfig(file, {}, schema);
    throw new ConfigError(`config ${file}: cannot read (${code ?? String(err)})`, { cause: err });
  }
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`config ${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  return validateConfig(file, data, schema);
}

export function validateConfig<S extends z.ZodType>(source: string, data: unknown, schema: S): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ConfigError(`config ${source}: invalid`);
  const key = issue.path.map(String).join('.');
  const unknown = issue.code === 'unrecognized_keys' ? ` (unknown key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')})` : '';
  throw new ConfigError(`config ${source}: ${key || '(top level)'}: ${issue.message}${unknown}`);
}
