/**
 * NATS subjects of the agent. One place, so the controller's consumers and the
 * agent's publishers cannot drift apart.
 */
export const SUBJECT_PREFIX = 'wofleet.agent';

/** What the events stream captures: every agent's events, none of its heartbeats. */
export const EVENT_SUBJECTS = `${SUBJECT_PREFIX}.*.event`;

export function heartbeatSubject(serverId: string): string {
  return `${SUBJECT_PREFIX}.${serverId}.heartbeat`;
}

export function eventSubject(serverId: string): string {
  return `${SUBJECT_PREFIX}.${serverId}.event`;
}

/** Whether a subject filter (with `*` and `>` wildcards) matches a concrete subject. */
export function subjectMatches(filter: string, subject: string): boolean {
  const want = filter.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    const token = want[i];
    if (token === '>') return have.length > i;
    if (i >= have.length) return false;
    if (token !== '*' && token !== have[i]) return false;
  }
  return want.length === have.length;
}
