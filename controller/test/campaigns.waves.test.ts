import { describe, expect, it } from 'vitest';
import { UsageError } from '@wofleet/shared';
import { computeWaves, waveSize } from '../src/campaigns/waves.js';
import { parseWaves } from '../src/campaigns/input.js';

const servers = (n: number) => Array.from({ length: n }, (_, i) => `s${String(i).padStart(3, '0')}`);
const sizesOf = (waves: string, n: number) => computeWaves(servers(n), parseWaves(waves), waves).map((w) => w.length);

describe('wave computation (DESIGN §6)', () => {
  it.each([
    ['1,5,20%', 100, [1, 5, 20, 20, 20, 20, 14]],
    ['1,10%,25%', 1000, [1, 100, 250, 250, 250, 149]],
    ['1,10%,25%', 4, [1, 1, 1, 1]],
    ['1,1,50%', 4, [1, 1, 2]],
    ['1,1,50%', 5, [1, 1, 3]],
    ['1', 3, [1, 1, 1]],
    ['1,100%', 7, [1, 6]],
    ['1,33%', 10, [1, 4, 4, 1]],
  ])('%s over %i targets: %j', (waves, n, expected) => {
    expect(sizesOf(waves, n)).toEqual(expected);
  });

  it('keeps the order given: canary first, every target exactly once', () => {
    const waves = computeWaves(['canary', 'a', 'b', 'c', 'd'], parseWaves('1,2'));
    expect(waves).toEqual([['canary'], ['a', 'b'], ['c', 'd']]);
  });

  it('rounds a percent up, to at least one server', () => {
    expect(waveSize({ percent: 1 }, 3)).toBe(1);
    expect(waveSize({ percent: 10 }, 11)).toBe(2);
    expect(waveSize({ percent: 100 }, 9)).toBe(9);
  });

  it.each([
    ['5,20%', 10, 'the first wave is the canary wave and must hold exactly one server'],
    ['50%,50%', 10, 'the first wave is the canary wave'],
    ['1,5,20%', 4, 'wave 3 (20%) would be empty, the 4 target(s) are all in the first 2 wave(s)'],
    ['1,10%,25%', 2, 'wave 3 (25%) would be empty'],
    ['1,1', 1, 'wave 2 (1) would be empty'],
    ['1', 0, 'no targets'],
  ])('refuses %s over %i targets', (waves, n, message) => {
    expect(() => sizesOf(waves, n)).toThrow(UsageError);
    expect(() => sizesOf(waves, n)).toThrow(message);
  });

  it('accepts a percent first wave that rounds to the canary alone', () => {
    expect(sizesOf('5%,50%', 10)).toEqual([1, 5, 4]);
  });
});
