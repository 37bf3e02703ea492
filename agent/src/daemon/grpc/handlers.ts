import { statfs } from 'node:fs/promises';
import type { AgentServiceHandlers, AgentStatusInput } from '@wofleet/proto';
import { runCommand } from '../../commands/command.js';
import type { KnownSiteChecks } from '../../commands/list.js';
import { toWireSite, WIRE_LEVEL } from '../../commands/site-wire.js';
import type { StatusResult } from '../../commands/status.js';
import { COMMANDS } from '../../commands/table.js';
import { mutationHandlers, type MutationDeps } from './mutations.js';
import { operationQueries, unary } from './operation-calls.js';
import * as v from './validate.js';

export interface HandlerDeps extends MutationDeps {
  agentVersion: string;
  startedAt: number;
  /** Latest full status (kept by the daemon: a full status is too slow per call). */
  status: () => Promise<StatusResult>;
  /** Each site's health and disk bytes from that status: ListSites adds WordOps' facts, read per call. */
  siteChecks: () => Promise<KnownSiteChecks>;
}

const MARK = { current: 'RELEASE_MARK_CURRENT', canary: 'RELEASE_MARK_CANARY', previous: 'RELEASE_MARK_PREVIOUS' } as const;

/**
 * AgentService: the read-only RPCs map a command of the table to its answer; the
 * mutating ones come from mutations.ts; operations from operation-calls.ts.
 */
export function createAgentHandlers(deps: HandlerDeps): AgentServiceHandlers {
  const { engine, operations } = deps;

  return {
    GetStatus: unary(async () => {
      const s = await deps.status();
      const rel = (r?: { id: string; version: string; dbVersion: number }) => r && { id: r.id, version: r.version, dbVersion: r.dbVersion };
      const free = await statfs(engine.layout.sharedRoot);
      const answer: AgentStatusInput = {
        serverId: engine.config.serverId,
        agentVersion: deps.agentVersion,
        uptimeSeconds: Math.floor((Date.now() - deps.startedAt) / 1000),
        current: rel(s.current),
        canary: rel(s.canary),
        previous: rel(s.previous),
        canarySite: s.canarySite ?? '',
        releases: s.releases,
        sites: s.sites,
        health: s.health,
        disk: { ...s.disk, freeBytes: free.bavail * free.bsize },
        lastUpdate: s.lastUpdate && { ...s.lastUpdate, finishedAt: s.lastUpdate.finishedAt ?? '' },
      };
      return answer;
    }),
    ListSites: unary(async () => ({
      sites: (await runCommand(COMMANDS.list, engine, { known: await deps.siteChecks() })).map(toWireSite),
    })),
    CheckHealth: unary(async (request) => {
      const h = await runCommand(COMMANDS.health, engine, { site: v.optionalDomain('site', request.site), deep: request.deep });
      return {
        level: WIRE_LEVEL[h.level],
        checks: h.checks.map((c) => ({ name: c.name, level: WIRE_LEVEL[c.level], detail: c.detail })),
        proofs: (h.proofs ?? []).map((p) => ({ ...p, culprit: p.culprit ?? '', error: p.error ?? '' })),
      };
    }),
    ListReleases: unary(async () => ({
      releases: (await runCommand(COMMANDS.releases, engine, {})).map((r) => ({
        ...r,
        marks: r.marks.map((m) => MARK[m]),
      })),
    })),
    GetBaseline: unary(async () => {
      const b = await runCommand(COMMANDS.baselineShow, engine, {});
      return {
        plugins: b.plugins,
        theme: b.theme ?? '',
        options: Object.fromEntries(Object.entries(b.options).map(([k, val]) => [k, JSON.stringify(val)])),
      };
    }),
    ...mutationHandlers(deps),
    ...operationQueries(operations),
  };
}
