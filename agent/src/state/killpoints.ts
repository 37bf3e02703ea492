/**
 * Crash-injection points for tests. When WOFLEET_KILL_AT names this point, the
 * process kills itself with SIGKILL right here, exactly as a power cut or OOM kill
 * would, so tests can prove that every step leaves a consistent layout.
 * Unset in production: one environment lookup per point.
 */
export function killPoint(name: string): void {
  if (process.env.WOFLEET_KILL_AT === name) process.kill(process.pid, 'SIGKILL');
}
