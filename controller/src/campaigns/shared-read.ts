import type { Clock } from '../context/clock.js';

/**
 * A read the passes and steps of one driver share: every verify step asks for the
 * campaign's state and its server's presence each poll, and a hundred of them asking
 * Postgres a hundred times a poll learn nothing one read would not tell them. An ask
 * while a read is under way, or within `maxAgeMs` of its start, gets that read's
 * answer; a failed read is not kept.
 */
export interface SharedRead<T> {
  /** The answer of a read under way or started within `maxAgeMs`, else of a new read. */
  recent(): Promise<T>;
}

export function shareRecentRead<T>(read: () => Promise<T>, clock: Clock, maxAgeMs: number): SharedRead<T> {
  let last: { at: number; answer: Promise<T> } | undefined;
  const fresh = () => {
    const answer = read();
    const current = { at: clock.now().getTime(), answer };
    last = current;
    answer.catch(() => {
      if (last === current) last = undefined;
    });
    return answer;
  };
  return {
    recent: () => (last && clock.now().getTime() - last.at < maxAgeMs ? last.answer : fresh()),
  };
}
