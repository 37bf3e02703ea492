/**
 * RolloutService enums name the campaign model's values upper-cased with a prefix
 * ('awaiting-promotion' <-> 'ROLLOUT_STATE_AWAITING_PROMOTION'); the controller
 * (api/) and the CLI (client/) both map through here.
 */
export const WIRE_PREFIX = {
  campaign: 'ROLLOUT_STATE_',
  wave: 'ROLLOUT_WAVE_STATE_',
  target: 'ROLLOUT_TARGET_STATE_',
  action: 'ROLLOUT_ACTION_',
  scope: 'ROLLOUT_EVENT_SCOPE_',
} as const;

type Snake<S extends string> = S extends `${infer A}-${infer B}` ? `${A}_${Snake<B>}` : S;
/** The wire name as a type, so a model value the .proto enum lacks fails to compile where it is sent. */
export type WireName<P extends string, V extends string> = `${P}${Uppercase<Snake<V>>}`;

export function toWireName<P extends string, V extends string>(prefix: P, value: V): WireName<P, V> {
  return `${prefix}${value.toUpperCase().replaceAll('-', '_')}` as WireName<P, V>;
}

/** The model value a wire name stands for, out of `values`; undefined for UNSPECIFIED or anything unknown. */
export function fromWireName<M extends string>(prefix: string, wire: string, values: Readonly<Record<string, M>>): M | undefined {
  return Object.values(values).find((value) => toWireName(prefix, value) === wire);
}
