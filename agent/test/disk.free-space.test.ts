import { describe, expect, it } from 'vitest';
import { DiskSpaceError, type FilesystemFacts, type FilesystemSpace, requireFreeSpace, reserveOf } from '../src/disk/free-space.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const reserve = { reservePercent: 5, reserveBytes: GiB };

/** Paths by prefix on made-up filesystems: the check's only input besides the needs. */
function space(filesystems: Record<string, FilesystemFacts>): FilesystemSpace {
  return {
    async facts(target) {
      const prefix = Object.keys(filesystems).find((p) => target.startsWith(p));
      if (prefix === undefined) throw new Error(`no filesystem for ${target}`);
      return filesystems[prefix] as FilesystemFacts;
    },
  };
}

/** A DB snapshot's two writes: the dump in stateDir, the table copy in MariaDB's datadir. */
const needs = [
  { path: '/var/lib/wofleet/snapshots/u1', bytes: 300 * MiB, what: 'the SQL dump' },
  { path: '/var/lib/mysql/', bytes: 400 * MiB, what: 'the in-DB table copy' },
];

describe('free-space check', () => {
  it('keeps 5% of a filesystem free, at most 1 GiB', () => {
    expect(reserveOf(10 * GiB, reserve)).toBe(512 * MiB);
    expect(reserveOf(100 * GiB, reserve)).toBe(GiB);
  });

  it('passes a write that leaves the reserve free', async () => {
    const disks = space({ '/var': { device: 1, availableBytes: 2 * GiB, totalBytes: 100 * GiB } });
    await expect(
      requireFreeSpace(disks, reserve, 'staging x', [{ path: '/var/www/shared/releases', bytes: GiB, what: 'the release' }]),
    ).resolves.toBeUndefined();
  });

  it('adds up what lands on one filesystem and names each part and the numbers when it would eat into the reserve', async () => {
    const disks = space({
      '/var/lib/wofleet': { device: 1, availableBytes: 1600 * MiB, totalBytes: 100 * GiB },
      '/var/lib/mysql': { device: 1, availableBytes: 1600 * MiB, totalBytes: 100 * GiB },
    });
    const refusal = requireFreeSpace(disks, reserve, 'a.test: DB snapshot', needs);
    await expect(refusal).rejects.toBeInstanceOf(DiskSpaceError);
    await expect(refusal).rejects.toThrow(
      'a.test: DB snapshot refused: not enough free space: the SQL dump about 300.0 MiB in /var/lib/wofleet/snapshots/u1 + the in-DB table copy about 400.0 MiB in /var/lib/mysql/, but 1.6 GiB is free of 100.0 GiB and 1.0 GiB must stay free (limits.reservePercent 5% of the filesystem, at most limits.reserveBytes)',
    );
  });

  it('judges each filesystem on its own: the same needs on two disks pass', async () => {
    const disks = space({
      '/var/lib/wofleet': { device: 1, availableBytes: 1600 * MiB, totalBytes: 100 * GiB },
      '/var/lib/mysql': { device: 2, availableBytes: 1600 * MiB, totalBytes: 100 * GiB },
    });
    await expect(requireFreeSpace(disks, reserve, 'a.test: DB snapshot', needs)).resolves.toBeUndefined();
  });
});
