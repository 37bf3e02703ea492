import type { Step } from './runner.js';
import { type ReleaseSwitchContext, releaseSwitchStep } from './switch.js';

/**
 * rollback: the switch run backwards, every core link to the release rolled back
 * to; its undo returns them to the release rolled back from. The kill point lets
 * the crash tests stop the agent between the switch and the opcache reset.
 */
export const ROLLBACK = {
  description: 'switch current back',
  killPoints: { after: 'rollback:after-switch' },
} as const;

export function rollbackStep<C extends ReleaseSwitchContext>(): Step<C> {
  return releaseSwitchStep<C>(ROLLBACK);
}
