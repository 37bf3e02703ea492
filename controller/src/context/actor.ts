/** Who asked, as recorded in audit events: `operator:<name>`, `agent:<server>`. */
export type Actor = string;

export function operatorActor(name: string): Actor {
  return `operator:${name}`;
}

export function agentActor(server: string): Actor {
  return `agent:${server}`;
}
