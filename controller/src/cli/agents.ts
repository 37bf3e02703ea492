import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { formatBytes, UsageError } from '@wofleet/shared';
import { withController } from './connect.js';
import { out, table } from './output.js';

/** `wofleet agents packages add | list`: the wofleet-agent packages the controller holds for agent upgrades. */
export function registerAgentCommands(program: Command): void {
  const agents = program.command('agents').description("wofleet's own agents: the packages the controller holds to upgrade them");
  const packages = agents.command('packages').description('wofleet-agent packages (.deb) held by the controller');

  packages
    .command('add <file>')
    .description('upload a wofleet-agent .deb to the controller (its version is read from the package, its SHA-256 computed)')
    .option('--json', 'print the result as JSON')
    .action(async (fileArg: string, _o: unknown, cmd: Command) => {
      const file = path.resolve(fileArg);
      await access(file).catch(() => {
        throw new UsageError(`cannot read ${fileArg}`);
      });
      const r = await withController(cmd, (api) => api.addAgentPackage(file));
      out(cmd, r, () => [`added wofleet-agent ${r.version} (${r.architecture}, ${formatBytes(r.sizeBytes)}, sha256 ${r.sha256})`]);
    });

  packages
    .command('list')
    .description('the packages the controller holds, the most recently added first')
    .option('--json', 'print as JSON')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await withController(cmd, (api) => api.listAgentPackages());
      out(cmd, r.packages, () =>
        r.packages.length === 0
          ? ['no agent packages']
          : table(
              ['VERSION', 'ARCH', 'SIZE', 'SHA256', 'ADDED'],
              r.packages.map((p) => [p.version, p.architecture, formatBytes(p.sizeBytes), p.sha256, p.addedAt]),
            ),
      );
    });
}
