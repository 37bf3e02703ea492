import { statfs } from 'node:fs/promises';
import type { AgentServiceHandlers, AgentStatusInput, HealthLevel, OperationInput, OperationKind } from '@wofleet/proto';
import { baselineSetCommand, baselineShowCommand } from '../../commands/baseline.js';
import { healthCommand, type Level } from '../../commands/health.js';
import { listCommand } from '../../commands/list.js';
import { pruneCommand, releasesCommand } from '../../commands/releases.js';
import { rollbackCommand } from '../../commands/rollback.js';
import { convertCommand, createCommand, removeCommand, revertCommand } from '../../commands/site-commands.js';
import type { StatusResult } from '../../commands/status.js';
import { activateCommand, stageCommand } from '../../commands/update.js';
import { upgradeDbCommand } from '../../commands/upgrade-db.js';
import type { Engine } from '../../engine.js';
import type { OperationRegistry } from '../../operations/index.js';
import { createFlags } from '../../sites/create-flags.js';
import { classifySource } from '../../releases/index.js';
import { acceptOperation, operationQueries, unary } from './operation-calls.js';
import * as v from './validate.js';

export interface HandlerDeps {
  engine: Engine;
  operations: OperationRegistry;
  agentVersion: string;
  startedAt: number;
  /** Latest full status (kept by the daemon: a full status is too slow per call). */
  status: () => Promise<StatusResult>;
  /** Called after a mutation finishes, e.g. to publish its events at once. */
  afterMutation?: () => void;
}

const LEVEL: Record<Level | 'healthy', HealthLevel> = {
  ok: 'HEALTH_LEVEL_OK',
  healthy: 'HEALTH_LEVEL_OK',
  degraded: 'HEALTH_LEVEL_DEGRADED',
  unhealthy: 'HEALTH_LEVEL_UNHEALTHY',
};

const MARK = { current: 'RELEASE_MARK_CURRENT', canary: 'RELEASE_MARK_CANARY', previous: 'RELEASE_MARK_PREVIOUS' } as const;

export function createAgentHandlers(deps: HandlerDeps): AgentServiceHandlers {
  const { engine, operations } = deps;

  /** A mutation: its request parsed, then the work run once per operation id (operation-calls.ts). */
  const mutation = <Req extends { operationId: string }>(
    kind: OperationKind,
    parse: (request: Req) => unknown | Promise<unknown>,
    work: (engine: Engine, parsed: never) => Promise<unknown>,
  ) =>
    unary<Req, OperationInput>(async (request) => {
      const id = v.operationId(request.operationId);
      const parsed = await parse(request);
      return acceptOperation(operations, id, kind, parsed, async (progress) => {
        try {
          return await work({ ...engine, progress }, parsed as never);
        } finally {
          deps.afterMutation?.();
        }
      });
    });

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
      sites: (await listCommand(engine)).map((s) => ({
        domain: s.domain,
        php: s.php,
        cache: s.cache,
        ssl: s.ssl,
        link: s.link === 'canary' ? ('SITE_LINK_CANARY' as const) : ('SITE_LINK_CURRENT' as const),
        release: s.release ?? '',
        version: s.version ?? '',
        health: LEVEL[s.health],
        problem: s.problem ?? '',
      })),
    })),
    CheckHealth: unary(async (request) => {
      const h = await healthCommand(engine, { site: v.optionalDomain('site', request.site) });
      return { level: LEVEL[h.level], checks: h.checks.map((c) => ({ name: c.name, level: LEVEL[c.level], detail: c.detail })) };
    }),
    ListReleases: unary(async () => ({
      releases: (await releasesCommand(engine)).map((r) => ({
        ...r,
        marks: r.marks.map((m) => MARK[m]),
      })),
    })),
    GetBaseline: unary(async () => {
      const b = await baselineShowCommand(engine);
      return {
        plugins: b.plugins,
        theme: b.theme ?? '',
        options: Object.fromEntries(Object.entries(b.options).map(([k, val]) => [k, JSON.stringify(val)])),
      };
    }),
    StageRelease: mutation(
      'OPERATION_KIND_STAGE_RELEASE',
      (r: { operationId: string; source: string; sha1: string; sha256: string }) => {
        const release = v.source(r.source);
        classifySource(release, engine.config.mirrorUrl);
        return { release, digest: v.digest(r.sha1, r.sha256) };
      },
      (e, p: Parameters<typeof stageCommand>[1]) => stageCommand(e, p),
    ),
    Activate: mutation(
      'OPERATION_KIND_ACTIVATE',
      async (r: { operationId: string; releaseId: string; canarySite: string; skipCanary: boolean }) => ({
        releaseId: await v.knownRelease(engine.layout, 'release_id', r.releaseId),
        canary: v.optionalDomain('canary_site', r.canarySite),
        force: r.skipCanary,
      }),
      (e, p: { releaseId: string; canary?: string; force: boolean }) => activateCommand(e, p.releaseId, p),
    ),
    Rollback: mutation(
      'OPERATION_KIND_ROLLBACK',
      async (r: { operationId: string; toRelease: string; restoreDb: boolean }) => ({
        to: r.toRelease === '' ? undefined : await v.knownReleaseRef(engine.layout, 'to_release', r.toRelease),
        restoreDb: r.restoreDb,
      }),
      (e, p: Parameters<typeof rollbackCommand>[1]) => rollbackCommand(e, p),
    ),
    UpgradeDb: mutation(
      'OPERATION_KIND_UPGRADE_DB',
      (r: { operationId: string; site: string }) => ({ site: v.optionalDomain('site', r.site) }),
      (e, p: { site?: string }) => upgradeDbCommand(e, p.site),
    ),
    Prune: mutation(
      'OPERATION_KIND_PRUNE',
      (r: { operationId: string; keep: number }) => ({ keep: r.keep === 0 ? undefined : Math.min(r.keep, 1000) }),
      (e, p: { keep?: number }) => pruneCommand(e, p.keep),
    ),
    CreateSite: mutation(
      'OPERATION_KIND_CREATE_SITE',
      (r: { operationId: string; domain: string; php: string; cache: string; letsEncrypt: boolean; adminEmail: string }) => ({
        domain: v.domain('domain', r.domain),
        flags: createFlags({
          ...(r.php ? { [`php${v.field('php', r.php, 8).replace('.', '')}`]: true } : {}),
          ...(r.cache ? { [v.field('cache', r.cache, 16)]: true } : {}),
          le: r.letsEncrypt,
          adminEmail: r.adminEmail === '' ? undefined : v.field('admin_email', r.adminEmail, 254),
        }),
      }),
      (e, p: { domain: string; flags: Parameters<typeof createCommand>[2] }) => createCommand(e, p.domain, p.flags),
    ),
    ConvertSite: mutation(
      'OPERATION_KIND_CONVERT_SITE',
      (r: { operationId: string; domain: string; revert: boolean }) => ({ domain: v.domain('domain', r.domain), revert: r.revert }),
      (e, p: { domain: string; revert: boolean }) => (p.revert ? revertCommand(e, p.domain) : convertCommand(e, p.domain, {})),
    ),
    RemoveSite: mutation(
      'OPERATION_KIND_REMOVE_SITE',
      (r: { operationId: string; domain: string }) => ({ domain: v.domain('domain', r.domain) }),
      (e, p: { domain: string }) => removeCommand(e, p.domain),
    ),
    SetBaseline: mutation(
      'OPERATION_KIND_SET_BASELINE',
      (r: { operationId: string; baseline: { plugins: string[]; theme: string; options: Record<string, string> } | null }) => ({
        plugin: (r.baseline?.plugins ?? []).map((p) => v.field('plugin', p, 256)),
        theme: v.field('theme', r.baseline?.theme ?? '', 128),
        option: Object.entries(r.baseline?.options ?? {}).map(([k, val]) => `${v.field('option', k, 128)}=${v.field(k, val)}`),
      }),
      (e, p: Parameters<typeof baselineSetCommand>[1]) => baselineSetCommand(e, p),
    ),
    ...operationQueries(operations),
  };
}
