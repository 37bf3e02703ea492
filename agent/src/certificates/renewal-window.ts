/**
 * When an agent renews its certificate: once less than a third of its lifetime is
 * left (about 122 days before a 365-day certificate expires), so a controller that is
 * away for weeks, or a renewal that fails for days, still leaves time. Pure.
 */
export const RENEW_WHEN_LEFT = 1 / 3;

export function needsRenewal(validity: { notBefore: Date; notAfter: Date }, now: Date): boolean {
  const lifetime = validity.notAfter.getTime() - validity.notBefore.getTime();
  const left = validity.notAfter.getTime() - now.getTime();
  return left < lifetime * RENEW_WHEN_LEFT;
}
