import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignRepository } from '../../controller/src/campaign-store/index.js';
import { listAuditEvents } from '../../controller/src/db/index.js';
import { OFFLINE_TIMEOUT_MS, sleep, startChaosFleet, waitForAgentOperation, type ChaosFleet } from '../support/chaos.js';
import { canConnect } from '../support/net.js';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.js';

/**
 * Issue 14's chaos suite, the faults around one fleet: three real agents (web-1 the
 * canary) with a site each under load, a private nats-server, a private Postgres, the
 * fleet's `controller serve` (ctl-1) driving the campaigns, and a second controller
 * where a test needs one. The fleet is shared (it is the slow part), so each test puts
 * back what its fault changed; the full disk comes last, its tmpfs stays.
 *
 * Times scale with the heartbeat (1 s here, 10 s by default): --min-healthy 3s is the
 * default 30s over 10. The NATS outage outlasts its test's healthy deadline, counted from
 * the canary's verifying, and the canary's hold outlasts the offline timeout.
 */
const NATS_OUTAGE_MS = 25_000;

describe('chaos: one fault per campaign around a fleet of three', () => {
  let postgres: PostgresServer;
  let chaos: ChaosFleet;
  const rf = () => chaos.rf;
  const lockOf = (id: string) => createCampaignRepository(rf().database.db).withCampaignLocked(id, async (lock) => lock);

  beforeAll(async () => {
    postgres = await startPostgresServer();
    chaos = await startChaosFleet({ databaseUrl: postgres.url });
  }, 300_000);
  afterAll(async () => {
    await chaos?.destroy();
    await postgres?.dispose();
  }, 120_000);

  it('nats-server down longer than the healthy deadline while the canary holds, then back: the campaign succeeds', async () => {
    const run = await chaos.run(`nats-server down ${NATS_OUTAGE_MS / 1000} s from the canary's hold, restarted`, {
      minHealthy: '10s',
      healthyDeadline: '20s',
    });
    await run.waitFor('the canary verifying', (v) => v.targets.some((t) => t.state === 'verifying'));
    await rf().fleet.nats.stop();
    try {
      expect(await canConnect({ port: rf().fleet.nats.port }), 'nats-server down').toBe(false);
      await sleep(NATS_OUTAGE_MS);
    } finally {
      await rf().fleet.nats.restart();
    }
    await run.finish({ campaign: 'succeeded' });
  });

  it('Postgres stopped while an agent stages (canary wave running), started again: the campaign succeeds', async () => {
    const run = await chaos.run(`Postgres down ${(2 * OFFLINE_TIMEOUT_MS) / 1000} s mid-wave (web-3 staging), restarted`);
    await waitForAgentOperation(rf(), 'web-3', `c${run.id}-web-3-stage`, 'RUNNING');
    await postgres.stop();
    try {
      expect(await postgres.running(), 'Postgres down').toBe(false);
      await sleep(2 * OFFLINE_TIMEOUT_MS);
    } finally {
      await postgres.start();
    }
    await run.finish({ campaign: 'succeeded' });
  });

  it('an agent SIGKILLed in the middle of its stage and restarted: the campaign succeeds', async () => {
    const victim = rf().fleet.agent('web-3');
    const run = await chaos.run('agent web-3 SIGKILLed mid-stage, restarted');
    const stage = `c${run.id}-web-3-stage`;
    await waitForAgentOperation(rf(), 'web-3', stage, 'RUNNING');
    await victim.stop('SIGKILL');
    await victim.start();
    expect(rf().journalState('web-3', stage), 'the stage the agent was running when it was killed').toBe('INTERRUPTED');
    await run.finish({ campaign: 'succeeded' });
  });

  it('an agent SIGSTOPped past the offline timeout while it holds, then SIGCONT: the campaign succeeds', async () => {
    const victim = rf().fleet.agent('web-3');
    const run = await chaos.run(`agent web-3 SIGSTOPped ${(3 * OFFLINE_TIMEOUT_MS) / 1000} s while verifying, SIGCONT`);
    await run.waitFor('web-3 verifying', (v) => v.targets.some((t) => t.server === 'web-3' && t.state === 'verifying'));
    const pid = victim.pid() as number;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(500);
      expect(processState(pid), 'web-3 stopped').toBe('T');
      await sleep(3 * OFFLINE_TIMEOUT_MS);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await run.finish({ campaign: 'succeeded' });
  });

  it('the controller holding the lease SIGKILLed mid-wave, a second one takes over: the campaign succeeds', async () => {
    const second = await rf().fleet.addController('ctl-2');
    await second.start();
    const controllers = { 'ctl-1': rf().fleet.controller, 'ctl-2': second };
    try {
      // The lease of a dead holder runs out before the other takes it (15 s): more room than the other tests.
      const run = await chaos.run('lease-holding controller SIGKILLed mid-wave, ctl-2 running', { healthyDeadline: '60s' });
      await run.waitFor('the second wave switching', (v) =>
        v.targets.some((t) => t.wave === 1 && t.state !== 'staged' && t.state !== 'pending'),
      );
      const holder = controllerOf((await lockOf(run.id))?.leaseHolder);
      expect(holder === 'ctl-1' || holder === 'ctl-2', `lease holder ${holder}`).toBe(true);
      const killed = controllers[holder as 'ctl-1' | 'ctl-2'];
      await killed.stop('SIGKILL');
      expect(killed.running(), `${holder} killed`).toBe(false);
      await run.finish({ campaign: 'succeeded' });
      expect(controllerOf((await lockOf(run.id))?.leaseHolder), 'the campaign finished by the other controller').toBe(
        holder === 'ctl-1' ? 'ctl-2' : 'ctl-1',
      );
    } finally {
      await second.stop();
      if (!rf().fleet.controller.running()) await rf().fleet.controller.start();
    }
  });

  it('two controllers, one with its clock 20 s ahead and holding the lease: the campaign succeeds', async () => {
    const skewMs = 20_000;
    const skewed = await rf().fleet.addController('ctl-skewed', { WOFLEET_TEST_CLOCK_OFFSET_MS: String(skewMs) });
    await rf().fleet.controller.stop();
    await skewed.start();
    try {
      const run = await chaos.run(`clock of the lease holder ${skewMs / 1000} s ahead of the other controller's`);
      for (const deadline = Date.now() + 30_000; controllerOf((await lockOf(run.id))?.leaseHolder) !== 'ctl-skewed'; await sleep(200)) {
        if (Date.now() > deadline) throw new Error(`ctl-skewed never took the lease: ${(await lockOf(run.id))?.leaseHolder}`);
      }
      await rf().fleet.controller.start();
      // The fault is in place: what the skewed controller writes is stamped ahead of the wall clock.
      const audited = await listAuditEvents(rf().database.db, { limit: 20 });
      const ahead = audited.filter((e) => e.kind.startsWith('campaign.') && e.at.getTime() > Date.now() + skewMs / 2);
      expect(ahead.length, 'campaign audit rows stamped ahead by the skewed controller').toBeGreaterThan(0);
      await run.finish({ campaign: 'succeeded' });
    } finally {
      await skewed.stop();
      if (!rf().fleet.controller.running()) await rf().fleet.controller.start();
    }
  });

  it("a full disk on web-3's releases during stage: web-3 refused with the numbers, nothing half-staged, the others succeed", async () => {
    const releases = fullReleasesDir(rf().fleet.agent('web-3').host.agentConfig.sharedRoot as string);
    const run = await chaos.run('releases dir of web-3 full (tmpfs) during stage', { maxFailures: '1' });
    await run.waitFor('web-3 failed', (v) => v.targets.some((t) => t.server === 'web-3' && t.state === 'failed'));
    const view = await run.view();
    const reason = view.targets.find((t) => t.server === 'web-3')?.reason ?? '';
    await run.finish({ campaign: 'succeeded', targets: { 'web-3': 'failed' } });
    expect(reason, "web-3's reason").toMatch(/space|ENOSPC/i);
    expect(existsSync(path.join(releases, '.staging')) ? readdirSync(path.join(releases, '.staging')) : [], 'left half-staged').toEqual([]);
    expect(
      readdirSync(releases).filter((n) => n.includes(run.version)),
      'the new release on web-3',
    ).toEqual([]);
    expect(reason, "web-3's reason gives the numbers").toMatch(/\d+(\.\d+)?\s*(B|bytes|KiB|MiB|GiB|kB|MB|GB)\b/);
  });

  /** The controller a lease holder id names (`<certificate name>/<instance>`). */
  function controllerOf(holder: string | null | undefined): string | undefined {
    return holder?.split('/')[0];
  }

  /**
   * Mounts a tmpfs over web-3's releases dir with a copy of what it holds, the rest taken
   * by a filler file (a stage dedupes against the current release: even the one changed
   * file must not fit); returns the dir. Before the load starts: the sites see an empty
   * dir for the moment of the copy.
   */
  function fullReleasesDir(sharedRoot: string): string {
    const releases = path.join(sharedRoot, 'releases');
    const aside = `${releases}.disk`;
    execFileSync('cp', ['-a', releases, aside]);
    const usedKiB = Number(execFileSync('du', ['-sk', aside], { encoding: 'utf8' }).split('\t')[0]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${usedKiB + 1024}k,mode=0755`, 'wofleet-chaos-full', releases]);
    unmountAtTheEnd.push(releases);
    execFileSync('cp', ['-a', `${aside}/.`, releases]);
    rmSync(aside, { recursive: true, force: true });
    const { bavail, bsize } = statfsSync(releases);
    execFileSync('fallocate', ['-l', String(bavail * bsize), path.join(releases, '.chaos-filler')]);
    expect(statfsSync(releases).bavail, 'free blocks on the tmpfs').toBe(0);
    return releases;
  }
  const unmountAtTheEnd: string[] = [];
  afterAll(() => {
    for (const dir of unmountAtTheEnd) execFileSync('umount', ['-l', dir]);
  });
});

/** The state letter of /proc/PID/stat (T: stopped). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
}
