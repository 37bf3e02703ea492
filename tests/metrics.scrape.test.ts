import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignRepository } from '../controller/src/campaign-store/index.js';
import { getCampaign, type CampaignView } from '../controller/src/campaigns/index.js';
import { checkHealth, parseSamples, samplesOf, scrape, sampleValue, type Sample } from './support/metrics.js';
import { campaignSummary, startRolloutFleet, type RolloutFleet } from './support/rollout-fleet.js';

/**
 * Issue 15, observability: the fleet's controller and both agents serve /metrics
 * (WOFLEET_METRICS_LISTEN, metrics.listen) and grpc.health.v1. Scraped during a
 * campaign (web-1, then web-2, one site each, each held 4 s in verify), the controller reports it
 * running, its targets, the lease it holds, its servers online, the lags of what
 * presence took and its RPCs by status code; afterwards each agent reports one
 * switch, its time until its sites served, its operations, sites' health, outbox
 * and releases on disk.
 */
const NAMES = ['web-1', 'web-2'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('metrics and health during a campaign', () => {
  let rf: RolloutFleet;
  const controllerMetrics = () => rf.fleet.controller.metricsAddress as string;
  const operatorTls = () => ({
    caFile: path.join(rf.fleet.operatorDir, 'ca.pem'),
    certFile: path.join(rf.fleet.operatorDir, 'alice.pem'),
    keyFile: path.join(rf.fleet.operatorDir, 'alice.key'),
  });
  const campaign = (id: string) => getCampaign({ repository: createCampaignRepository(rf.database.db) }, id);

  beforeAll(async () => {
    rf = await startRolloutFleet(NAMES, { keepController: true, metrics: true, sitesPerAgent: 1 });
  }, 300_000);

  afterAll(async () => {
    await rf?.destroy();
  }, 120_000);

  it('the health service answers SERVING on the controller and on every agent, for the server and each service', async () => {
    expect(await checkHealth(rf.fleet.controller.address, operatorTls())).toBe('SERVING');
    expect(await checkHealth(rf.fleet.controller.address, operatorTls(), 'wofleet.v1.RolloutService')).toBe('SERVING');
    expect(await checkHealth(rf.fleet.controller.address, operatorTls(), 'no.such.Service')).toBe('NOT_FOUND');
    for (const agent of rf.fleet.agents) {
      // An operator certificate may not call AgentService, but may ask whether it serves.
      expect(await checkHealth(agent.address, operatorTls()), agent.name).toBe('SERVING');
      expect(await checkHealth(agent.address, operatorTls(), 'wofleet.v1.AgentService'), agent.name).toBe('SERVING');
    }
  });

  it('a scrape during the campaign and after it shows its states, lags, lease and RPCs; each agent one switch', async () => {
    const { id } = await rf.fleet.wofleetJson<{ id: string }>([
      'rollout',
      'start',
      '--release',
      '6.5.5',
      '--waves',
      '1,1',
      '--min-healthy',
      '4s',
    ]);
    let view: CampaignView = await campaign(id);
    for (const deadline = Date.now() + 120_000; !view.targets.some((t) => t.state === 'verifying'); await sleep(100)) {
      if (Date.now() > deadline || view.state !== 'running') throw new Error(`no target reached verifying: ${campaignSummary(view)}`);
      view = await campaign(id);
    }
    const during = parseSamples(await scrape(controllerMetrics()));
    const summary = campaignSummary(view);
    expect(sampleValue(during, 'wofleet_controller_campaigns', { state: 'running' }), summary).toBe(1);
    expect(sampleValue(during, 'wofleet_controller_campaign_targets', { state: 'verifying' }), summary).toBe(1);
    expect(sampleValue(during, 'wofleet_controller_servers', { state: 'online' })).toBe(NAMES.length);
    expect(sampleValue(during, 'wofleet_controller_servers', { state: 'offline' })).toBe(0);
    const holder = samplesOf(during, 'wofleet_controller_info')[0]?.labels.holder;
    expect(holder).toMatch(/^ctl-1\/[0-9a-f]{8}$/);
    expect(sampleValue(during, 'wofleet_controller_campaign_lease_held', { campaign: id, holder: holder as string })).toBe(1);
    expect(sampleValue(during, 'wofleet_controller_rpc_duration_seconds_count', { method: 'StartRollout', code: 'OK' })).toBe(1);

    for (const deadline = Date.now() + 180_000; view.state === 'running'; await sleep(250)) {
      if (Date.now() > deadline) throw new Error(`campaign did not finish: ${campaignSummary(view)}`);
      view = await campaign(id);
    }
    expect(view.state, campaignSummary(view)).toBe('succeeded');
    // One call the controller refuses: counted under its status code.
    expect((await rf.fleet.wofleet(['servers', 'show', 'no-such-server'])).code).toBe(1);

    const after = parseSamples(await scrape(controllerMetrics()));
    expect(sampleValue(after, 'wofleet_controller_campaigns', { state: 'running' })).toBe(0);
    expect(sampleValue(after, 'wofleet_controller_campaigns', { state: 'succeeded' })).toBe(1);
    expect(samplesOf(after, 'wofleet_controller_campaign_lease_held')).toEqual([]);
    expect(sampleValue(after, 'wofleet_controller_rpc_duration_seconds_count', { method: 'GetServer', code: 'NOT_FOUND' })).toBe(1);
    // Agents beat every second: many beats recorded, all within the histogram's buckets.
    const beats = sampleValue(after, 'wofleet_controller_heartbeat_lag_seconds_count') ?? 0;
    expect(beats).toBeGreaterThan(NAMES.length * 5);
    expect(sampleValue(after, 'wofleet_controller_heartbeat_lag_seconds_bucket', { le: '60' })).toBe(beats);
    // Each agent's switch (and its stage, health) came back as events, applied.
    expect(sampleValue(after, 'wofleet_controller_event_lag_seconds_count', { outcome: 'applied' })).toBeGreaterThanOrEqual(NAMES.length);
    expect(sampleValue(after, 'wofleet_controller_event_consumer_pending', { stage: 'undelivered' })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(after, 'wofleet_controller_metrics_read_failures_total')).toBeUndefined();

    for (const agent of rf.fleet.agents) {
      const samples: Sample[] = parseSamples(await scrape(agent.metricsAddress as string));
      const of = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);
      expect(of('wofleet_agent_info', { server: agent.name }), agent.name).toBe(1);
      expect(of('wofleet_agent_switch_duration_seconds_count', { recipe: 'update' }), agent.name).toBe(1);
      expect(of('wofleet_agent_switch_duration_seconds_sum', { recipe: 'update' }), agent.name).toBeGreaterThan(0);
      expect(of('wofleet_agent_serving_after_switch_seconds_count', { recipe: 'update' }), agent.name).toBe(1);
      expect(of('wofleet_agent_operations_total', { kind: 'stage_release', result: 'succeeded' }), agent.name).toBe(1);
      expect(of('wofleet_agent_operations_total', { kind: 'activate', result: 'succeeded' }), agent.name).toBe(1);
      expect(of('wofleet_agent_operations_running'), agent.name).toBe(0);
      expect(of('wofleet_agent_health_level'), agent.name).toBe(0);
      for (const site of agent.sites) expect(of('wofleet_agent_site_health_level', { site }), site).toBe(0);
      expect(of('wofleet_agent_sites_by_health', { level: 'ok' }), agent.name).toBe(agent.sites.length);
      expect(of('wofleet_agent_outbox_events'), agent.name).toBeGreaterThanOrEqual(0);
      expect(of('wofleet_agent_releases'), agent.name).toBe(2);
      // Two WordPress cores: tens of MB, hard links between them counted once.
      expect(of('wofleet_agent_releases_disk_bytes'), agent.name).toBeGreaterThan(20 * 1024 * 1024);
      expect(of('wofleet_agent_metrics_read_failures_total'), agent.name).toBeUndefined();
    }
  });
});
