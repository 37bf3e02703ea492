import { describe, expect, it } from 'vitest';
import { batchedPins, type ReadPins } from '../src/agents/pins.js';

describe('batchedPins', () => {
  const recorded = (answer: (servers: readonly string[]) => Promise<ReadonlyMap<string, readonly string[]>>) => {
    const reads: string[][] = [];
    const read: ReadPins = (servers) => {
      reads.push([...servers]);
      return answer(servers);
    };
    return { reads, pins: batchedPins(read) };
  };

  it('asks of one turn go to one read, each gets its own server pins (none for an unknown server); later asks read again', async () => {
    const { reads, pins } = recorded(async (servers) => new Map(servers.filter((s) => s !== 'web-9').map((s) => [s, [`fp-${s}`]])));
    const answers = await Promise.all(['web-1', 'web-2', 'web-1', 'web-9'].map((s) => pins(s)));
    expect(answers).toEqual([['fp-web-1'], ['fp-web-2'], ['fp-web-1'], []]);
    expect(reads).toEqual([['web-1', 'web-2', 'web-9']]);
    expect(await pins('web-3')).toEqual(['fp-web-3']);
    expect(reads).toHaveLength(2);
  });

  it('a failed read fails every ask it answered, and the next ask reads again', async () => {
    let down = true;
    const { pins } = recorded(async (servers) => {
      if (down) throw new Error('database away');
      return new Map(servers.map((s) => [s, ['fp']]));
    });
    const asks = [pins('web-1'), pins('web-2')].map((p) => p.catch((err: unknown) => (err as Error).message));
    expect(await Promise.all(asks)).toEqual(['database away', 'database away']);
    down = false;
    expect(await pins('web-1')).toEqual(['fp']);
  });

  it('splits a turn of more than 1000 servers into reads of at most 1000', async () => {
    const { reads, pins } = recorded(async (servers) => new Map(servers.map((s) => [s, [s]])));
    const names = Array.from({ length: 2500 }, (_, i) => `web-${i}`);
    expect(await Promise.all(names.map((s) => pins(s)))).toEqual(names.map((s) => [s]));
    expect(reads.map((r) => r.length)).toEqual([1000, 1000, 500]);
  });
});
