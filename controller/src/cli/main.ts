#!/usr/bin/env node
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * The `wofleet` entry point. Before any module of the CLI is loaded, it asks Node (22.1
 * and later; older ones lack the call) to keep the compiled code of the modules it loads
 * in a per-user cache, so later runs skip compiling them: a large part of a short
 * command's time. $NODE_COMPILE_CACHE names another directory, $NODE_DISABLE_COMPILE_CACHE
 * turns it off; a cache that cannot be written is left off. Per user, not the shared temp
 * dir Node would pick: compiled code from a directory others can write to must not be run.
 */
function compileCacheDirectory(): string | undefined {
  if (process.env.NODE_COMPILE_CACHE) return process.env.NODE_COMPILE_CACHE;
  try {
    return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'wofleet');
  } catch {
    // No home directory for this user: run without the cache.
    return undefined;
  }
}

const { enableCompileCache } = module as typeof module & { enableCompileCache?: (directory: string) => unknown };
const cacheDirectory = compileCacheDirectory();
if (enableCompileCache && cacheDirectory) enableCompileCache(cacheDirectory);

const { runWofleet } = await import('./run.js');
process.exitCode = await runWofleet(process.argv);
