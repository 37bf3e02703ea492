import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { loadYamlConfig, UsageError } from '@wofleet/shared';
import { formatHostPort, parseHostPort } from './address.js';

/**
 * Where the `wofleet` CLI finds its controller and its operator credentials, per
 * value: flag, else environment, else `~/.config/wofleet/config.yaml` ($HOME is
 * respected). Paths in the file are relative to the file's directory.
 *
 * | value      | flag         | environment         | config.yaml  |
 * |------------|--------------|---------------------|--------------|
 * | controller | --controller | WOFLEET_CONTROLLER  | controller:  |
 * | CA         | --ca         | WOFLEET_CA          | ca:          |
 * | cert       | --cert       | WOFLEET_CERT        | cert:        |
 * | key        | --key        | WOFLEET_KEY         | key:         |
 */
export interface ClientSettings {
  /** host:port of ControllerService. */
  controller: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface ClientFlags {
  controller?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

const clientFileSchema = z
  .object({
    controller: z.string().min(1).optional(),
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  })
  .strict();

export function clientConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.HOME || os.homedir(), '.config', 'wofleet', 'config.yaml');
}

interface Source {
  what: string;
  flag: string;
  env: string;
}

const SOURCES = {
  controller: { what: 'controller address', flag: '--controller', env: 'WOFLEET_CONTROLLER' },
  ca: { what: 'fleet CA certificate', flag: '--ca', env: 'WOFLEET_CA' },
  cert: { what: 'operator certificate', flag: '--cert', env: 'WOFLEET_CERT' },
  key: { what: 'operator key', flag: '--key', env: 'WOFLEET_KEY' },
} as const satisfies Record<keyof ClientFlags, Source>;

export async function resolveClientSettings(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env): Promise<ClientSettings> {
  const file = clientConfigFile(env);
  const fromFile = await loadYamlConfig(file, clientFileSchema, { optional: true });
  const inFile = (name: keyof ClientFlags): string | undefined => {
    const value = fromFile[name];
    // File paths in config.yaml are relative to the file, not to where the CLI runs.
    return value === undefined || name === 'controller' ? value : path.resolve(path.dirname(file), value);
  };
  const value = (name: keyof ClientFlags): string => {
    const source: Source = SOURCES[name];
    const found = flags[name] ?? (env[source.env] || undefined) ?? inFile(name);
    if (found === undefined)
      throw new UsageError(`no ${source.what}: pass ${source.flag}, set ${source.env}, or set '${name}:' in ${file}`);
    return found;
  };
  return {
    controller: formatHostPort(parseHostPort('controller address', value('controller'))),
    caFile: path.resolve(value('ca')),
    certFile: path.resolve(value('cert')),
    keyFile: path.resolve(value('key')),
  };
}
