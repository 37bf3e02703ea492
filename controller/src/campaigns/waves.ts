import { UsageError } from '@wofleet/shared';
import type { WaveSize } from './model.js';

/**
 * Wave computation (DESIGN §6), pure. `1,5,20%` over N targets: wave 0 holds 1 server
 * (the canary wave), wave 1 holds 5, then 20% of N per wave until every target is in
 * one; the last entry repeats. A percent is of all N targets, rounded up, at least 1,
 * so no size ever rounds to an empty wave. The last wave takes what is left (it may be
 * smaller than its entry). Refused, with the entry named:
 * - a first entry that is not exactly 1 server: the canary wave is the canary alone,
 *   so that a canary failure touches nothing else;
 * - an entry the targets never reach: with `1,5,20%` and 4 targets, wave 1 takes the
 *   last 3 and the `20%` wave would be empty. The operator shortens --waves instead
 *   of getting a plan with fewer waves than asked for.
 */
export function computeWaves<T>(ordered: readonly T[], sizes: readonly WaveSize[], wavesText = describeWaves(sizes)): T[][] {
  if (ordered.length === 0) throw new UsageError('no targets: the campaign would touch no server');
  const first = sizes[0];
  if (!first || waveSize(first, ordered.length) !== 1) {
    throw new UsageError(
      `invalid --waves '${wavesText}': the first wave is the canary wave and must hold exactly one server (e.g. 1,10%,25%)`,
    );
  }
  const waves: T[][] = [];
  let next = 0;
  for (let i = 0; next < ordered.length; i++) {
    const entry = sizes[Math.min(i, sizes.length - 1)] as WaveSize;
    const size = waveSize(entry, ordered.length);
    waves.push(ordered.slice(next, next + size));
    next += size;
  }
  if (waves.length < sizes.length) {
    const empty = sizes[waves.length] as WaveSize;
    throw new UsageError(
      `invalid --waves '${wavesText}': wave ${waves.length + 1} (${describeSize(empty)}) would be empty, the ${ordered.length} target(s) are all in the first ${waves.length} wave(s); give fewer waves`,
    );
  }
  return waves;
}

/** Servers one entry stands for among `total` targets: a count, or a percent rounded up (at least 1). */
export function waveSize(size: WaveSize, total: number): number {
  return 'count' in size ? size.count : Math.max(1, Math.ceil((size.percent * total) / 100));
}

export function describeSize(size: WaveSize): string {
  return 'count' in size ? String(size.count) : `${size.percent}%`;
}

export function describeWaves(sizes: readonly WaveSize[]): string {
  return sizes.map(describeSize).join(',');
}
