import { UsageError } from '../errors.js';
import { printable } from './text.js';

/** A WordPress release version: 6.5, 6.5.5, or a pre-release like 6.6-RC1. */
const VERSION = /^(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?(?:-(?:alpha|beta|RC)\d{0,3})?$/i;

export function isWordPressVersion(input: string): boolean {
  return VERSION.test(input);
}

export function parseWordPressVersion(input: string): string {
  const v = input.trim();
  if (!VERSION.test(v)) {
    throw new UsageError(`invalid WordPress version '${printable(v)}': expected X.Y or X.Y.Z (e.g. 6.5.5)`);
  }
  return v;
}

/** Numeric comparison of two WordPress versions (pre-release suffixes sort before the release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.split('-');
    const nums = core.split('.').map((n) => Number.parseInt(n, 10));
    return { nums: [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0], pre };
  };
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa.nums[i] ?? 0) - (pb.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === undefined) return 1;
  if (pb.pre === undefined) return -1;
  return pa.pre < pb.pre ? -1 : 1;
}
