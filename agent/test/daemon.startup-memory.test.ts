import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { releaseStartupMemory } from '../src/daemon/startup-memory.js';

describe('releaseStartupMemory', () => {
  it('runs one compacting collection that gives freed pages back when gc is exposed', () => {
    const gc = vi.fn();
    expect(releaseStartupMemory(gc as unknown as NodeJS.GCFunction)).toBe(true);
    expect(gc).toHaveBeenCalledTimes(1);
    expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  });

  it('does nothing when Node runs without --expose-gc', () => {
    expect(releaseStartupMemory(undefined)).toBe(false);
  });

  it("is accepted by V8's own gc function", () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as NodeJS.GCFunction;
    expect(releaseStartupMemory(gc)).toBe(true);
  });
});
