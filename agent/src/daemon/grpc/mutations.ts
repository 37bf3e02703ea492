import type {
  ActivateRequest,
  AgentServiceHandlers,
  ConvertSiteRequest,
  CreateSiteRequest,
  InstallPackageRequest,
  OperationInput,
  OperationKind,
  PruneRequest,
  RemoveSiteRequest,
  RollbackRequest,
  SetBaselineRequest,
  StagePackageRequest,
  StageReleaseRequest,
  UpgradeDbRequest,
} from '@wofleet/proto';
import type { z } from 'zod';
import { type AgentCommand, parseArgs } from '../../commands/command.js';
import { COMMANDS } from '../../commands/table.js';
import type { Engine } from '../../engine.js';
import type { OperationRegistry } from '../../operations/index.js';
import { acceptOperation, unary } from './operation-calls.js';
import * as v from './validate.js';
import { CANARY_AUTO } from '../../commands/canary-site.js';

/**
 * The mutating RPCs, one row each: the operation kind, and how the request's wire
 * fields (checked and bounded in validate.ts) become the input of a command of
 * the table. The parsed arguments are what the operation journal keeps.
 */
interface Mutation<Req> {
  kind: OperationKind;
  /** The command to run and its input; async when a field must name something on disk. */
  route(request: Req, engine: Engine): Promise<Routed> | Routed;
}

interface Routed {
  command: AgentCommand<z.ZodType, unknown>;
  input: unknown;
  /** What the journal keeps when it is not the parsed arguments (ConvertSite's revert flag picks the command). */
  journal?: (args: unknown) => unknown;
}

const to = <S extends z.ZodType, R>(command: AgentCommand<S, R>, input: z.input<S>, journal?: Routed['journal']): Routed => ({
  command: command as unknown as AgentCommand<z.ZodType, unknown>,
  input,
  journal,
});

interface Requests {
  StageRelease: StageReleaseRequest;
  Activate: ActivateRequest;
  Rollback: RollbackRequest;
  UpgradeDb: UpgradeDbRequest;
  Prune: PruneRequest;
  CreateSite: CreateSiteRequest;
  ConvertSite: ConvertSiteRequest;
  RemoveSite: RemoveSiteRequest;
  SetBaseline: SetBaselineRequest;
  StagePackage: StagePackageRequest;
  InstallPackage: InstallPackageRequest;
}
type MutationName = keyof Requests;

const MUTATIONS: { [M in MutationName]: Mutation<Requests[M]> } = {
  StageRelease: {
    kind: 'OPERATION_KIND_STAGE_RELEASE',
    route: async (r, engine) => to(COMMANDS.stage, { release: await v.source(r.source, engine.config), digest: v.digest(r.digest) }),
  },
  Activate: {
    kind: 'OPERATION_KIND_ACTIVATE',
    route: async (r, engine) =>
      to(COMMANDS.activate, {
        releaseId: await v.knownRelease(engine.layout, 'release_id', r.releaseId),
        canary: r.canarySite === CANARY_AUTO ? CANARY_AUTO : v.optionalDomain('canary_site', r.canarySite),
        force: r.skipCanary,
      }),
  },
  Rollback: {
    kind: 'OPERATION_KIND_ROLLBACK',
    route: async (r, engine) =>
      to(COMMANDS.rollback, {
        to: r.toRelease === '' ? undefined : await v.knownReleaseRef(engine.layout, 'to_release', r.toRelease),
        restoreDb: r.restoreDb,
      }),
  },
  UpgradeDb: {
    kind: 'OPERATION_KIND_UPGRADE_DB',
    route: (r) => to(COMMANDS.upgradeDb, { site: v.optionalDomain('site', r.site) }),
  },
  Prune: {
    kind: 'OPERATION_KIND_PRUNE',
    route: (r) => to(COMMANDS.prune, { keep: r.keep === 0 ? undefined : Math.min(r.keep, 1000) }),
  },
  CreateSite: {
    kind: 'OPERATION_KIND_CREATE_SITE',
    route: (r) =>
      to(COMMANDS.create, {
        domain: v.domain('domain', r.domain),
        flags: {
          ...(r.php ? { [`php${v.field('php', r.php, 8).replace('.', '')}`]: true } : {}),
          ...(r.cache ? { [v.field('cache', r.cache, 16)]: true } : {}),
          le: r.letsEncrypt,
          adminEmail: r.adminEmail === '' ? undefined : v.field('admin_email', r.adminEmail, 254),
        },
      }),
  },
  ConvertSite: {
    kind: 'OPERATION_KIND_CONVERT_SITE',
    route: (r) => {
      const domain = v.domain('domain', r.domain);
      const journal = () => ({ domain, revert: r.revert });
      return r.revert ? to(COMMANDS.revert, { domain }, journal) : to(COMMANDS.convert, { domain }, journal);
    },
  },
  RemoveSite: {
    kind: 'OPERATION_KIND_REMOVE_SITE',
    route: (r) => to(COMMANDS.remove, { domain: v.domain('domain', r.domain) }),
  },
  SetBaseline: {
    kind: 'OPERATION_KIND_SET_BASELINE',
    route: (r) =>
      to(COMMANDS.baselineSet, {
        plugin: (r.baseline?.plugins ?? []).map((p) => v.field('plugin', p, 256)),
        theme: v.field('theme', r.baseline?.theme ?? '', 128),
        option: Object.entries(r.baseline?.options ?? {}).map(([k, val]) => `${v.field('option', k, 128)}=${v.field(k, val)}`),
      }),
  },
  StagePackage: {
    kind: 'OPERATION_KIND_STAGE_PACKAGE',
    route: (r) => to(COMMANDS.stagePackage, { version: v.field('version', r.version, 80), sha256: v.field('sha256', r.sha256, 64) }),
  },
  InstallPackage: {
    kind: 'OPERATION_KIND_INSTALL_PACKAGE',
    route: (r) => to(COMMANDS.installPackage, { version: v.field('version', r.version, 80) }),
  },
};

export interface MutationDeps {
  engine: Engine;
  operations: OperationRegistry;
  /** Called after a mutation finishes, e.g. to publish its events at once. */
  afterMutation?: () => void;
}

/** A mutation: request checked and parsed, then the command run once per operation id (operation-calls.ts). */
export function mutationHandlers(deps: MutationDeps): Pick<AgentServiceHandlers, MutationName> {
  const handler = <Req extends { operationId: string }>(mutation: Mutation<Req>) =>
    unary<Req, OperationInput>(async (request) => {
      const id = v.operationId(request.operationId);
      const routed = await mutation.route(request, deps.engine);
      const args = await parseArgs(routed.command, routed.input);
      const journal = routed.journal ? routed.journal(args) : args;
      return acceptOperation(deps.operations, id, mutation.kind, journal, async (progress) => {
        try {
          return await routed.command.run({ ...deps.engine, progress }, args);
        } finally {
          deps.afterMutation?.();
        }
      });
    });
  // One handler per row: each row's request type is checked where MUTATIONS is declared.
  const entries = Object.entries(MUTATIONS).map(([name, m]) => [name, handler(m as Mutation<{ operationId: string }>)]);
  return Object.fromEntries(entries) as unknown as Pick<AgentServiceHandlers, MutationName>;
}
