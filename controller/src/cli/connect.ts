import type { Command } from 'commander';
import type { ClientFlags } from '../config/client.js';
import type { ControllerApi } from '../client/controller-client.js';
import type { RolloutApi } from '../client/rollout-client.js';

/**
 * Runs `work` against the controller the global flags, environment or config file name.
 * gRPC (and the config file schema) are loaded here, on first use: help and refused
 * input answer without them.
 */
export async function withController<T>(cmd: Command, work: (api: ControllerApi) => Promise<T>): Promise<T> {
  const { resolveClientSettings } = await import('../config/client.js');
  const settings = await resolveClientSettings(cmd.optsWithGlobals<ClientFlags>());
  const { connectController } = await import('../client/controller-client.js');
  const api = await connectController(settings);
  try {
    return await work(api);
  } finally {
    api.close();
  }
}

/** Runs `work` against the controller's RolloutService; gRPC is loaded on first use, like withController. */
export async function withRollouts<T>(cmd: Command, work: (api: RolloutApi) => Promise<T>): Promise<T> {
  const { resolveClientSettings } = await import('../config/client.js');
  const settings = await resolveClientSettings(cmd.optsWithGlobals<ClientFlags>());
  const { connectRollouts } = await import('../client/rollout-client.js');
  const api = await connectRollouts(settings);
  try {
    return await work(api);
  } finally {
    api.close();
  }
}
