import { Gauge, type Registry } from 'prom-client';
import type { ScrapeReads } from '@wofleet/shared/metrics';
import { countActiveTargetsByState, countCampaignsByState, countServersByStatus, listLeasesHeldBy, type Database } from '../db/index.js';

/**
 * The fleet as the database has it, read when Prometheus scrapes (one GROUP BY per
 * gauge, each bounded by `reads`): servers, campaigns and active campaigns' targets
 * by state, and the campaign leases this controller process holds.
 */
export function registerFleetGauges(registry: Registry, reads: ScrapeReads, db: Database, holder: string): void {
  const countsGauge = (name: string, help: string, source: string, read: () => Promise<Record<string, number>>) =>
    new Gauge({
      name,
      help,
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await reads.within(source, read);
        this.reset();
        for (const [state, n] of Object.entries(counts ?? {})) this.set({ state }, n);
      },
    });
  countsGauge('wofleet_controller_servers', 'Servers in the inventory by presence state.', 'servers', () => countServersByStatus(db));
  countsGauge('wofleet_controller_campaigns', 'Campaigns by state, finished ones included (in their final state).', 'campaigns', () =>
    countCampaignsByState(db),
  );
  countsGauge('wofleet_controller_campaign_targets', 'Targets of unfinished campaigns by state.', 'targets', () =>
    countActiveTargetsByState(db),
  );
  new Gauge({
    name: 'wofleet_controller_campaign_lease_held',
    help: '1 for each unfinished campaign whose lease this controller process holds (holder: <name>/<instance id>).',
    labelNames: ['campaign', 'holder'],
    registers: [registry],
    async collect() {
      const held = await reads.within('leases', () => listLeasesHeldBy(db, holder));
      this.reset();
      for (const campaign of held ?? []) this.set({ campaign, holder }, 1);
    },
  });
}
