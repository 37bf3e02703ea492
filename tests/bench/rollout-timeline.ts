/**
 * Where the rollout bench's campaign spent its time beyond the agents' work: the
 * campaign's transitions, as the audit table has them, set against when each
 * simulated agent worked. Two views: the campaign cut into phases (start -> every
 * server staged -> each wave done -> campaign succeeded -> watch ended), each against
 * what the plan makes inevitable; and the delay of each hand-over between controller
 * and agent, over all servers.
 */
import type { SimStepTimes } from '../support/sim-agents.js';

/** One campaign transition from the audit table. */
export interface Transition {
  scope: 'campaign' | 'wave' | 'target';
  /** Server name (target), wave index (wave), campaign id (campaign). */
  subject: string;
  state: string;
  atMs: number;
}

export interface TimelineInput {
  transitions: readonly Transition[];
  servers: readonly string[];
  stepTimesOf(server: string): SimStepTimes;
  waveSizes: readonly number[];
  maxParallel: number;
  delays: { stageMs: number; activateMs: number };
  minHealthyMs: number;
  startedMs: number;
  endedMs: number;
}

export interface Phase {
  name: string;
  ms: number;
  idealMs: number;
}

export interface HandOver {
  name: string;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
}

export function campaignTimeline(input: TimelineInput): { phases: Phase[]; handOvers: HandOver[] } {
  const at = new Map<string, number>();
  for (const t of input.transitions) at.set(`${t.scope}:${t.subject}:${t.state}`, t.atMs);
  const targetAt = (server: string, state: string) => at.get(`target:${server}:${state}`);
  const rounds = (n: number) => Math.ceil(n / input.maxParallel);

  const phases: Phase[] = [];
  let from = input.startedMs;
  const phase = (name: string, to: number | undefined, idealMs: number) => {
    if (to === undefined) return;
    phases.push({ name, ms: to - from, idealMs });
    from = to;
  };
  const staged = input.servers.map((s) => targetAt(s, 'staged') ?? Number.NaN);
  phase('start -> every server staged', Math.max(...staged), rounds(input.servers.length) * input.delays.stageMs);
  input.waveSizes.forEach((size, index) => {
    phase(
      `-> wave ${index} done (${size} servers)`,
      at.get(`wave:${index}:succeeded`),
      rounds(size) * (input.delays.activateMs + input.minHealthyMs),
    );
  });
  phase('-> campaign succeeded', input.transitions.find((t) => t.scope === 'campaign' && t.state === 'succeeded')?.atMs, 0);
  phase('-> watch ended', input.endedMs, 0);

  const delays = (name: string, each: (server: string, times: SimStepTimes) => number | undefined): HandOver => {
    const values = input.servers
      .map((s) => each(s, input.stepTimesOf(s)))
      .filter((v): v is number => v !== undefined && Number.isFinite(v))
      .sort((a, b) => a - b);
    const pick = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;
    return { name, p50Ms: pick(0.5), p90Ms: pick(0.9), maxMs: values.at(-1) ?? Number.NaN };
  };
  const minus = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
  const handOvers = [
    delays('staging recorded -> agent stages', (s, t) => minus(t.stage?.startMs, targetAt(s, 'staging'))),
    delays('agent staged -> staged recorded', (s, t) => minus(targetAt(s, 'staged'), t.stage?.endMs)),
    delays('switching recorded -> agent switches', (s, t) => minus(t.activate?.startMs, targetAt(s, 'switching'))),
    delays('agent switched -> verifying recorded', (s, t) => minus(targetAt(s, 'verifying'), t.activate?.endMs)),
    delays('verifying -> succeeded, beyond min healthy', (s) =>
      minus(minus(targetAt(s, 'succeeded'), targetAt(s, 'verifying')), input.minHealthyMs),
    ),
  ];
  return { phases, handOvers };
}
