/**
 * The agents' own work, as both sides of bench:ansible count it, and the critical path
 * it makes: what no orchestrator could shorten. Orchestration overhead = wall time - that.
 */
export interface StepTime {
  host: string;
  /** update | health | rollback (Ansible's agent-step.sh), stage | activate | ... (the daemon's journal). */
  step: string;
  startMs: number;
  endMs: number;
  /** CPU of the command (Ansible side only; NaN where not measured). */
  cpuMs: number;
  exitCode: number;
}

const durationMs = (s: StepTime) => s.endMs - s.startMs;

/** The slowest of these hosts' runs of `step`; 0 when none ran it. */
export function slowestMs(steps: readonly StepTime[], hosts: ReadonlySet<string>, step: string): number {
  return steps.filter((s) => s.step === step && hosts.has(s.host)).reduce((max, s) => Math.max(max, durationMs(s)), 0);
}

/**
 * Ansible's linear strategy runs a batch task by task, each waiting for the batch's
 * slowest host: per batch, the slowest update, the slowest of each health check (the
 * two of a host told apart by order), the hold, and the slowest rollback if any.
 */
export function batchCriticalPathMs(batches: readonly string[][], steps: readonly StepTime[], holdMs: number): number {
  let total = 0;
  for (const batch of batches) {
    const hosts = new Set(batch);
    const ran = steps.filter((s) => hosts.has(s.host));
    if (ran.length === 0) continue;
    const nthHealth = (n: number) =>
      batch.reduce((max, host) => {
        const check = ran.filter((s) => s.host === host && s.step === 'health')[n];
        return check ? Math.max(max, durationMs(check)) : max;
      }, 0);
    const held = ran.some((s) => s.step === 'health' && s.exitCode === 0) ? holdMs : 0;
    total += slowestMs(ran, hosts, 'update') + nthHealth(0) + held + nthHealth(1) + slowestMs(ran, hosts, 'rollback');
  }
  return total;
}
