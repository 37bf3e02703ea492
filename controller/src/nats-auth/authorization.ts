import { agentPermissions, type NatsPermissions } from '@wofleet/shared/nats';

/**
 * The nats-server `authorization` block for the fleet (pure: the inventory in, the text
 * out). One nkey user for the controller, with every right (it owns the events stream
 * and consumer); one per enrolled server, allowed its own subjects only.
 */
export interface FleetNatsUsers {
  controllerKey: string;
  agents: readonly { name: string; publicKey: string }[];
}

/** A quoted nats-server config string; keys and subjects never hold a quote, but a name is not trusted to. */
function quoted(text: string): string {
  return JSON.stringify(text);
}

function list(subjects: readonly string[]): string {
  return `[${subjects.map(quoted).join(', ')}]`;
}

function permissionsBlock(p: NatsPermissions): string {
  return `permissions: { publish: { allow: ${list(p.publish)} }, subscribe: { allow: ${list(p.subscribe)} } }`;
}

export function renderNatsAuthorization(users: FleetNatsUsers): string {
  const lines = [
    '# Written by `wofleet nats config`: do not edit. Run it again after enrolling or removing',
    '# a server, then reload nats-server (`nats-server --signal reload`, or SIGHUP).',
    'authorization {',
    '  users = [',
    `    # the controller: owns the events stream and its consumer`,
    `    { nkey: ${quoted(users.controllerKey)} }`,
  ];
  for (const agent of users.agents) {
    lines.push(`    # server ${agent.name}`, `    { nkey: ${quoted(agent.publicKey)}, ${permissionsBlock(agentPermissions(agent.name))} }`);
  }
  lines.push('  ]', '}', '');
  return lines.join('\n');
}
