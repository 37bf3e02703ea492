import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, IllegalTransitionError, isTerminal, OPERATION_STATE } from '../src/operations/index.js';

const { pending, running, succeeded, failed, interrupted } = OPERATION_STATE;

describe('operation states', () => {
  it('allows exactly the transitions of the table', () => {
    const allowed = [
      [pending, running],
      [pending, interrupted],
      [running, succeeded],
      [running, failed],
      [running, interrupted],
    ];
    const all = Object.values(OPERATION_STATE);
    for (const from of all) {
      for (const to of all) {
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(allowed.some(([a, b]) => a === from && b === to));
      }
    }
  });

  it('throws on an illegal transition', () => {
    expect(() => assertTransition(succeeded, running)).toThrow(IllegalTransitionError);
    expect(() => assertTransition(pending, succeeded)).toThrow('illegal operation transition PENDING -> SUCCEEDED');
  });

  it('treats succeeded, failed and interrupted as terminal', () => {
    expect([pending, running].map(isTerminal)).toEqual([false, false]);
    expect([succeeded, failed, interrupted].map(isTerminal)).toEqual([true, true, true]);
  });
});
