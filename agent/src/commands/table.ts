import { parseDigestMessage, parseDomain } from '@wofleet/shared';
import { z } from 'zod';
import { createFlags } from '../sites/create-flags.js';
import { baselineSetCommand, baselineShowCommand } from './baseline.js';
import { CANARY_AUTO } from './canary-site.js';
import { ACCESS, defineCommand } from './command.js';
import { healthCommand } from './health.js';
import { initCommand } from './init.js';
import { listCommand, type KnownSiteChecks } from './list.js';
import { pruneCommand, releasesCommand } from './releases.js';
import { rollbackCommand } from './rollback.js';
import { convertCommand, createCommand, removeAllCommand, removeCommand, revertCommand } from './site-commands.js';
import { statusCommand } from './status.js';
import { activateCommand, stageCommand, updateCommand } from './update.js';
import { upgradeDbCommand } from './upgrade-db.js';
import { installPackageCommand, stagePackageCommand } from './packages.js';

/**
 * The agent's commands, one row each: name, argument schema, handler, read-only
 * or mutating. cli/ registers its flags against these rows and daemon/grpc/ maps
 * its requests onto them; neither runs a command any other way.
 */

const optionalDomain = z
  .string()
  .optional()
  .transform((d) => (d === undefined ? undefined : parseDomain(d)));
/** The expected archive digest; unset: the one published beside the archive. */
const digest = z
  .object({ algorithm: z.string(), hex: z.string() })
  .optional()
  .transform((d) => (d === undefined ? undefined : parseDigestMessage(d)));
/** --canary: a site's domain or "auto" (commands/canary-site.ts). */
const canarySite = z
  .string()
  .optional()
  .transform((c) => (c === undefined || c === CANARY_AUTO ? c : parseDomain(c)));
const none = z.object({});
/** A path written into WordOps' plugin config: absolute, one line. */
const pluginPath = z
  .string()
  .refine((p) => p.startsWith('/') && !/[\x00-\x1f\x7f]/.test(p) && p.trim() === p, { message: 'must be an absolute path on one line' });
const woPlugin = z
  .discriminatedUnion('action', [
    z.object({
      action: z.literal('install'),
      agent: z.object({ node: pluginPath, script: pluginPath, config: pluginPath.optional() }),
    }),
    z.object({ action: z.literal('remove') }),
  ])
  .optional();

export const COMMANDS = {
  init: defineCommand({
    name: 'init',
    access: ACCESS.mutating,
    args: z.object({ release: z.string().optional(), digest, force: z.boolean().optional(), woPlugin }),
    run: initCommand,
  }),
  create: defineCommand({
    name: 'create',
    access: ACCESS.mutating,
    args: z
      .object({ domain: z.string(), flags: z.record(z.string(), z.unknown()) })
      .transform((a) => ({ domain: parseDomain(a.domain), flags: createFlags(a.flags) })),
    run: (engine, a) => createCommand(engine, a.domain, a.flags),
  }),
  convert: defineCommand({
    name: 'convert',
    access: ACCESS.mutating,
    args: z.object({ domain: z.string().transform(parseDomain), dryRun: z.boolean().optional() }),
    run: (engine, a) => convertCommand(engine, a.domain, { dryRun: a.dryRun }),
  }),
  revert: defineCommand({
    name: 'convert --revert',
    access: ACCESS.mutating,
    args: z.object({ domain: z.string().transform(parseDomain) }),
    run: (engine, a) => revertCommand(engine, a.domain),
  }),
  update: defineCommand({
    name: 'update',
    access: ACCESS.mutating,
    args: z.object({ release: z.string(), digest, canary: canarySite, force: z.boolean().optional() }),
    run: updateCommand,
  }),
  stage: defineCommand({
    name: 'stage',
    access: ACCESS.mutating,
    args: z.object({ release: z.string(), digest }),
    run: stageCommand,
  }),
  activate: defineCommand({
    name: 'activate',
    access: ACCESS.mutating,
    args: z.object({ releaseId: z.string(), canary: canarySite, force: z.boolean() }),
    run: (engine, a) => activateCommand(engine, a.releaseId, a),
  }),
  rollback: defineCommand({
    name: 'rollback',
    access: ACCESS.mutating,
    args: z.object({ to: z.string().optional(), restoreDb: z.boolean().optional() }),
    run: rollbackCommand,
  }),
  upgradeDb: defineCommand({
    name: 'upgrade-db',
    access: ACCESS.mutating,
    args: z.object({ site: optionalDomain }),
    run: (engine, a) => upgradeDbCommand(engine, a.site),
  }),
  prune: defineCommand({
    name: 'prune',
    access: ACCESS.mutating,
    args: z.object({ keep: z.number().int().positive().optional() }),
    run: (engine, a) => pruneCommand(engine, a.keep),
  }),
  remove: defineCommand({
    name: 'remove',
    access: ACCESS.mutating,
    args: z.object({ domain: z.string().transform(parseDomain) }),
    run: (engine, a) => removeCommand(engine, a.domain),
  }),
  removeAll: defineCommand({ name: 'remove --all', access: ACCESS.mutating, args: none, run: removeAllCommand }),
  status: defineCommand({ name: 'status', access: ACCESS.readOnly, args: none, run: (engine) => statusCommand(engine) }),
  list: defineCommand({
    name: 'list',
    access: ACCESS.readOnly,
    // `known`: the daemon's latest probes and disk walks (not operator input; the CLI passes none).
    args: z.object({ known: z.custom<KnownSiteChecks>().optional() }),
    run: (engine, a) => listCommand(engine, { known: a.known }),
  }),
  health: defineCommand({
    name: 'health',
    access: ACCESS.readOnly,
    args: z.object({ site: optionalDomain, deep: z.boolean().optional() }),
    run: healthCommand,
  }),
  releases: defineCommand({ name: 'releases', access: ACCESS.readOnly, args: none, run: releasesCommand }),
  baselineShow: defineCommand({ name: 'baseline show', access: ACCESS.readOnly, args: none, run: baselineShowCommand }),
  baselineSet: defineCommand({
    name: 'baseline set',
    access: ACCESS.mutating,
    args: z.object({
      plugin: z.array(z.string()).optional(),
      theme: z.string().optional(),
      option: z.array(z.string()).optional(),
      file: z.string().optional(),
    }),
    run: baselineSetCommand,
  }),
  stagePackage: defineCommand({
    name: 'stage-package',
    access: ACCESS.mutating,
    args: z.object({ version: z.string().max(80), sha256: z.string().max(64) }),
    run: stagePackageCommand,
  }),
  installPackage: defineCommand({
    name: 'install-package',
    access: ACCESS.mutating,
    args: z.object({ version: z.string().max(80) }),
    run: installPackageCommand,
  }),
} as const;
