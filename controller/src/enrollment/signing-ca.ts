import { StateError, type FleetCa } from '@wofleet/shared';
import type { ControllerContext } from '../context/index.js';

/**
 * The CA key that signs agents' certificates. A controller set up by `ca issue-controller`
 * has none unless the operator copied ca.key to it: it drives campaigns and serves
 * operators, and leaves enrollment and renewal to a controller that holds the key.
 */
export function signingCa(ctx: Pick<ControllerContext, 'ca'>): FleetCa {
  if (!ctx.ca) {
    throw new StateError('this controller holds no fleet CA key (ca.key in its data dir): enroll and renew agents through one that does');
  }
  return ctx.ca;
}
