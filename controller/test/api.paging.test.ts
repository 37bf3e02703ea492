import path from 'node:path';
import { loadControllerService, type FleetSite, type ListFleetSitesResponse } from '@wofleet/proto';
import { UsageError } from '@wofleet/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectController, type ControllerApi } from '../src/client/controller-client.js';
import { connectRollouts, type RolloutApi } from '../src/client/rollout-client.js';
import { encodePageToken, MAX_PAGE_SIZE } from '../src/api/paging.js';
import { MAX_ROLLOUT_PAGE_SIZE } from '../src/api/rollout-handlers.js';
import { createCampaignRepository } from '../src/campaign-store/index.js';
import { parseCampaignRequest, type CampaignPlan } from '../src/campaigns/index.js';
import { requestText } from './campaigns.fixtures.js';
import { createTestFleet, type TestFleet } from './cli.fixtures.js';
import { T0 } from './db.fixtures.js';

/**
 * Paging of the list RPCs at fleet scale: 50,000 sites on 500 servers, inserted straight
 * into Postgres, read back through the real ListSites RPC page by page, and through the
 * built CLI, which follows the pages by itself.
 */
const SERVERS = 500;
const SITES_PER_SERVER = 100;
const SITES = SERVERS * SITES_PER_SERVER;
/** gRPC's default largest message a client takes. */
const GRPC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

let fleet: TestFleet;
let api: ControllerApi;
let rollouts: RolloutApi;
beforeAll(async () => {
  fleet = await createTestFleet({ runCampaigns: false });
  await fleet.db.execute(sql`
    insert into servers (name, address, labels)
    select 'web-' || lpad(i::text, 4, '0'), '10.0.' || (i / 250) || '.' || (i % 250) || ':7443',
           case when i % 2 = 0 then '{"region":"eu"}'::jsonb else '{"region":"us"}'::jsonb end
    from generate_series(1, ${SERVERS}) as i`);
  await fleet.db.execute(sql`
    insert into sites (server_id, domain, php, cache, ssl, release, version, health, disk_bytes)
    select s.id, 'site-' || lpad(j::text, 3, '0') || '.' || s.name || '.example.com', '8.2', 'wpfc', true,
           '6.5.5-20250131T120000Z-ab12cd', '6.5.5', 'ok', 123456
    from servers s, generate_series(1, ${SITES_PER_SERVER}) as j`);
  const dir = fleet.operatorDir;
  const settings = {
    controller: fleet.address,
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'alice.pem'),
    keyFile: path.join(dir, 'alice.key'),
  };
  api = await connectController(settings);
  rollouts = await connectRollouts(settings);
}, 120_000);
afterAll(async () => {
  api?.close();
  rollouts?.close();
  await fleet?.destroy();
});

/** The bytes a ListSites answer takes on the wire (the service's own serializer). */
function wireBytes(response: ListFleetSitesResponse): number {
  const { Client } = loadControllerService();
  const service = (Client as unknown as { service: { ListSites: { responseSerialize(value: unknown): Buffer } } }).service;
  return service.ListSites.responseSerialize(response).length;
}

const siteKey = (s: FleetSite) => `${s.server}/${s.site?.domain}`;

describe('ListSites paging', () => {
  it(`reads ${SITES} sites page by page: every one once, in (server, domain) order, each answer far under 4 MiB`, async () => {
    const started = performance.now();
    const keys: string[] = [];
    let pageToken = '';
    let pages = 0;
    let largest = 0;
    do {
      // More than the maximum is asked for: the controller cuts it.
      const page = await api.listSites({ pageSize: 5_000, pageToken });
      expect(page.sites.length).toBeLessThanOrEqual(MAX_PAGE_SIZE);
      largest = Math.max(largest, wireBytes(page));
      keys.push(...page.sites.map(siteKey));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== '');
    const ms = performance.now() - started;
    console.log(`ListSites: ${keys.length} sites in ${pages} pages, ${Math.round(ms)} ms, largest answer ${largest} bytes`);

    expect(keys).toHaveLength(SITES);
    expect(new Set(keys).size).toBe(SITES);
    const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(keys).toEqual(sorted);
    expect(pages).toBe(SITES / MAX_PAGE_SIZE);
    expect(largest).toBeLessThan(GRPC_MAX_MESSAGE_BYTES);
  }, 120_000);

  it('pages a filtered list the same way, and answers a full page without page_size', async () => {
    const first = await api.listSites({ server: 'web-0007' });
    expect(first.sites).toHaveLength(SITES_PER_SERVER);
    expect(first.nextPageToken).toBe('');
    const small = await api.listSites({ server: 'web-0007', pageSize: 60 });
    const rest = await api.listSites({ server: 'web-0007', pageSize: 60, pageToken: small.nextPageToken });
    expect([...small.sites, ...rest.sites].map(siteKey)).toEqual(first.sites.map(siteKey));
    expect(rest.nextPageToken).toBe('');
    const unfiltered = await api.listSites({});
    expect(unfiltered.sites).toHaveLength(MAX_PAGE_SIZE);
    expect(unfiltered.nextPageToken).not.toBe('');
  });

  it('refuses a page token it did not make', async () => {
    for (const pageToken of ['bm9wZQ', 'not base64 at all', Buffer.from('{"v":1,"k":["a"]}').toString('base64url')]) {
      await expect(api.listSites({ pageToken })).rejects.toThrow(UsageError);
    }
  });
});

describe('ListServers paging', () => {
  it('pages servers by name, with a label filter, none twice', async () => {
    const names: string[] = [];
    let pageToken = '';
    do {
      const page = await api.listServers({ labels: { region: 'eu' }, pageSize: 64, pageToken });
      names.push(...page.servers.map((s) => s.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    const expected = Array.from({ length: SERVERS / 2 }, (_, i) => `web-${String((i + 1) * 2).padStart(4, '0')}`);
    expect(names).toEqual(expected);
  });
});

describe('the CLI follows the pages', () => {
  it('sites list --json prints the whole list; --limit stops after that many', async () => {
    const started = performance.now();
    const all = await fleet.wofleetJson<{ server: string; site: { domain: string; health: string } }[]>(['sites', 'list']);
    console.log(`wofleet sites list --json: ${all.length} sites in ${Math.round(performance.now() - started)} ms`);
    expect(all).toHaveLength(SITES);
    expect(all[0]).toMatchObject({ server: 'web-0001', site: { domain: 'site-001.web-0001.example.com', health: 'ok' } });
    const limited = await fleet.wofleetJson<unknown[]>(['sites', 'list', '--limit', '2500']);
    expect(limited).toEqual(all.slice(0, 2500));
    const servers = await fleet.wofleetJson<{ name: string; state: string }[]>(['servers', 'list', '--limit', '3']);
    expect(servers).toEqual([
      expect.objectContaining({ name: 'web-0001', state: 'pending-enrollment' }),
      expect.objectContaining({ name: 'web-0002' }),
      expect.objectContaining({ name: 'web-0003' }),
    ]);
  }, 120_000);
});

describe('ListRollouts paging', () => {
  const CAMPAIGNS = 120;
  const plan = (server: string): CampaignPlan => ({
    request: parseCampaignRequest(requestText({ servers: [server], waves: '1' })),
    release: { version: '6.5.5', url: 'file:///fixtures/wordpress-6.5.5.tar.gz', digest: { algorithm: 'sha256', hex: 'a'.repeat(64) } },
    canary: server,
    canarySiteServers: [],
    waves: [{ index: 0, servers: [server] }],
    offlineServers: [],
  });
  /** Every campaign, newest first, then by id; a quarter of them still active. */
  let newestFirst: { id: string; active: boolean }[];

  beforeAll(async () => {
    const repository = createCampaignRepository(fleet.db);
    const made: { id: string; createdAt: Date; active: boolean }[] = [];
    for (let i = 0; i < CAMPAIGNS; i++) {
      // Three started in the same millisecond each time: their ids order them.
      const createdAt = new Date(T0.getTime() + Math.floor(i / 3) * 1000);
      const { id } = await repository.insertCampaign(plan(`web-${String(i + 1).padStart(4, '0')}`), 'operator:alice', createdAt);
      made.push({ id, createdAt, active: i % 4 === 0 });
    }
    const ended = made.filter((c) => !c.active).map((c) => c.id);
    await fleet.db.execute(sql`update campaign_targets set active = false, state = 'succeeded'
      where campaign_id in (${sql.join(
        ended.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`);
    await fleet.db.execute(sql`update campaigns set state = 'succeeded', finished_at = updated_at
      where id in (${sql.join(
        ended.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`);
    newestFirst = made
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(({ id, active }) => ({ id, active }));
  });

  async function readAll(active: boolean, pageSize: number): Promise<{ ids: string[]; pages: number[] }> {
    const ids: string[] = [];
    const pages: number[] = [];
    let pageToken = '';
    do {
      const page = await rollouts.list({ active, pageSize, pageToken });
      ids.push(...page.rollouts.map((r) => r.id));
      pages.push(page.rollouts.length);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return { ids, pages };
  }

  it(`pages campaigns newest first (then by id), each once, at most ${MAX_ROLLOUT_PAGE_SIZE} a page`, async () => {
    // More than the maximum is asked for: the controller cuts it.
    const all = await readAll(false, 1000);
    expect(all.ids).toEqual(newestFirst.map((c) => c.id));
    expect(all.pages).toEqual([50, 50, 20]);
    const small = await readAll(false, 7);
    expect(small.ids).toEqual(all.ids);
    expect(small.pages).toHaveLength(Math.ceil(CAMPAIGNS / 7));
    const firstPage = await rollouts.list({ active: false, pageSize: 0, pageToken: '' });
    expect(firstPage.rollouts).toHaveLength(MAX_ROLLOUT_PAGE_SIZE);
  });

  it('pages the active ones the same way', async () => {
    const active = await readAll(true, 8);
    expect(active.ids).toEqual(newestFirst.filter((c) => c.active).map((c) => c.id));
    expect(active.ids).toHaveLength(CAMPAIGNS / 4);
  });

  it('refuses a page token of another list, or one it did not make', async () => {
    const tokens = [
      encodePageToken(['web-0001']),
      encodePageToken(['yesterday', newestFirst[0]?.id ?? '']),
      encodePageToken([T0.toISOString(), "'; drop table campaigns; --"]),
    ];
    for (const pageToken of tokens) await expect(rollouts.list({ active: false, pageSize: 10, pageToken })).rejects.toThrow(UsageError);
  });

  it('rollout list --json follows the pages; --limit stops after that many', async () => {
    const listed = await fleet.wofleetJson<{ id: string }[]>(['rollout', 'list']);
    expect(listed.map((c) => c.id)).toEqual(newestFirst.map((c) => c.id));
    const limited = await fleet.wofleetJson<{ id: string }[]>(['rollout', 'list', '--active', '--limit', '12']);
    expect(limited.map((c) => c.id)).toEqual(
      newestFirst
        .filter((c) => c.active)
        .map((c) => c.id)
        .slice(0, 12),
    );
  });
});
