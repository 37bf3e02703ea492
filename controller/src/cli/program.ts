import { Command } from 'commander';
import { WOFLEET_VERSION } from '@wofleet/shared';
import { registerAuditCommand } from './audit.js';
import { applyCliConventions, registerCompletionCommand } from '@wofleet/shared/cli';
import { registerAgentCommands } from './agents.js';
import { registerCaCommands } from './ca.js';
import { registerCertCommands } from './certs.js';
import { registerControllerCommands } from './controller.js';
import { registerNatsCommands } from './nats.js';
import { registerReleaseCommands } from './releases.js';
import { registerRolloutCommands } from './rollout.js';
import { registerServerCommands } from './servers.js';
import { registerSiteCommands } from './sites.js';

/**
 * The `wofleet` command tree. Everything but `ca`, `controller` and `nats` talks to the
 * controller only (ControllerService over gRPC, operator certificate).
 */
export function buildProgram(): Command {
  const program = applyCliConventions(new Command('wofleet'))
    .description('Operate a wofleet fleet: the controller, its CA, servers, sites and releases.')
    .version(`wofleet ${WOFLEET_VERSION}`, '-V, --version', 'print the version of wofleet')
    .option('--controller <host:port>', 'controller address (default $WOFLEET_CONTROLLER, else ~/.config/wofleet/config.yaml)')
    .option('--ca <file>', 'fleet CA certificate (default $WOFLEET_CA, else config.yaml)')
    .option('--cert <file>', 'operator certificate (default $WOFLEET_CERT, else config.yaml)')
    .option('--key <file>', 'operator key (default $WOFLEET_KEY, else config.yaml)');
  registerCaCommands(program);
  registerControllerCommands(program);
  registerNatsCommands(program);
  registerServerCommands(program);
  registerCertCommands(program);
  registerSiteCommands(program);
  registerReleaseCommands(program);
  registerRolloutCommands(program);
  registerAuditCommand(program);
  registerCompletionCommand(program);
  registerAgentCommands(program);
  return program;
}
