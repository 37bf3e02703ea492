import { parseDuration, printable, UsageError } from '@wofleet/shared';

/** An environment variable's value; unset and blank are the same. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A setting in whole seconds, given as bare seconds (`10`) or a duration (`30s`, `1m`). */
export interface WholeSecondsSetting {
  flag: string;
  env: string;
  defaultSeconds: number;
  min: number;
  max: number;
  /** What it is, for the error ("the agents' heartbeat period"). */
  meaning: string;
}

/** Its flag over its environment variable over its default; out of bounds or fractional: UsageError naming where it came from. */
export function resolveWholeSeconds(setting: WholeSecondsSetting, flagValue: string | undefined, env: NodeJS.ProcessEnv): number {
  const text = flagValue ?? nonEmpty(env[setting.env]);
  if (text === undefined) return setting.defaultSeconds;
  const what = flagValue !== undefined ? setting.flag : setting.env;
  const seconds = parseDuration(what, text, { bareSeconds: true }) / 1000;
  if (!(Number.isInteger(seconds) && seconds >= setting.min && seconds <= setting.max)) {
    throw new UsageError(
      `invalid ${what} '${printable(text)}': expected whole seconds from ${setting.min} to ${setting.max} (${setting.meaning})`,
    );
  }
  return seconds;
}
