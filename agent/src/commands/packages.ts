import { UsageError } from '@wofleet/shared';
import type { Engine } from '../engine.js';
import { startInstaller } from '../packages/install.js';
import { packageFile, stagePackage } from '../packages/store.js';
import { access } from 'node:fs/promises';

/**
 * `wofleet agents upgrade` on this server: keep the package the controller names
 * (verified), then start its install. Run by the daemon only (StagePackage,
 * InstallPackage): the package comes from the controller the agent enrolled with.
 */

export interface StagedPackage {
  version: string;
  file: string;
}

export async function stagePackageCommand(engine: Engine, a: { version: string; sha256: string }): Promise<StagedPackage> {
  if (!engine.packageSource)
    throw new UsageError('packages are fetched from the controller by the agent daemon (wofleet-agent serve) only');
  engine.progress(`fetching wofleet-agent ${a.version} from the controller`);
  const file = await stagePackage(engine.config.stateDir, a.version, a.sha256, engine.packageSource);
  engine.log.info({ version: a.version, file }, 'agent package staged');
  return { version: a.version, file };
}

export interface StartedInstall {
  version: string;
  argv: string[];
  log: string;
}

export async function installPackageCommand(engine: Engine, a: { version: string }): Promise<StartedInstall> {
  const file = packageFile(engine.config.stateDir, a.version);
  await access(file).catch(() => {
    throw new UsageError(`wofleet-agent ${a.version} is not staged on this server (StagePackage first)`);
  });
  const started = await startInstaller(file, {
    install: engine.config.packages.install,
    unitSuffix: `${a.version}-${engine.now().getTime()}`,
  });
  engine.log.info({ version: a.version, argv: started.argv }, 'agent package install started: the agent restarts on the new version');
  void started.exited.then((code) =>
    engine.log[code === 0 ? 'info' : 'error']({ version: a.version, code, log: started.log }, 'agent package installer exited'),
  );
  return { version: a.version, argv: started.argv, log: started.log };
}
