import { Histogram, type Registry } from 'prom-client';
import type { StepDoneListener } from '../engine.js';
import { SWITCH_DEFAULTS } from '../steps/switch.js';
import { VERIFY_SERVING } from '../steps/verify-serving.js';

/** A switch is links + opcache reset + page cache purge: well under a second, seconds on a loaded server. */
const SWITCH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Until every site passed its serving proof: seconds to minutes with many sites and DB upgrades. */
const SERVING_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * Times the switches of update and rollback from their recipe's steps: the `switch` step
 * (links moved, opcache reset, page cache purged), and from its end until the `verify` step
 * ended (every site serves the new core and passed the serving proof; an update's DB
 * upgrades lie between). A recipe that fails between the two observes no serving time.
 */
export function switchTiming(registry: Registry, now: () => number = () => performance.now()): StepDoneListener {
  const switchDuration = new Histogram({
    name: 'wofleet_agent_switch_duration_seconds',
    help: 'Seconds the switch step of an update or rollback took: core links moved, opcache reset in every pool, page cache purged.',
    labelNames: ['recipe'],
    buckets: SWITCH_BUCKETS,
    registers: [registry],
  });
  const servingAfterSwitch = new Histogram({
    name: 'wofleet_agent_serving_after_switch_seconds',
    help: 'Seconds from the end of a switch until every site served the new core and passed its serving proof.',
    labelNames: ['recipe'],
    buckets: SERVING_BUCKETS,
    registers: [registry],
  });
  // One recipe runs at a time (the server lock): the switch that the next verify follows.
  let switched: { recipe: string; at: number } | undefined;
  return (recipe, step, ms) => {
    if (step === SWITCH_DEFAULTS.name) {
      switchDuration.observe({ recipe }, ms / 1000);
      switched = { recipe, at: now() };
    } else if (step === VERIFY_SERVING.name && switched?.recipe === recipe) {
      servingAfterSwitch.observe({ recipe }, (now() - switched.at) / 1000);
      switched = undefined;
    }
  };
}
