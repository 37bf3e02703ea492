import { isIP } from 'node:net';
import type { ClientOptions } from '@grpc/grpc-js';
import { versionClientInterceptor } from '@wofleet/proto';
import { hostOfAddress } from '../config/address.js';

/**
 * grpc-js sends the target host as TLS server name even when it is an IP address, which
 * Node warns about on stderr. The controller does not look at the name (and the client
 * checks the controller's role, not its host name), so an IP target sends a fixed one.
 * The CLI dials the controller with it, the controller its agents (tlsName 'wofleet-agent').
 * Every call also carries this program's wofleet version (docs/COMPATIBILITY.md).
 */
export function channelOptions(address: string, tlsName = CONTROLLER_TLS_NAME): ClientOptions {
  const host = hostOfAddress(address);
  const interceptors = [versionClientInterceptor()];
  return isIP(host) ? { 'grpc.ssl_target_name_override': tlsName, interceptors } : { interceptors };
}

/**
 * The channel target for `address` (host:port). An IP address goes to grpc-js's IP
 * resolver: its default, the DNS resolver, opens a c-ares resolver for every channel even
 * for an IP, and the controller opens a channel per agent, hundreds at once in a wave.
 */
export function channelTarget(address: string): string {
  const host = hostOfAddress(address);
  const family = isIP(host);
  return family === 0 ? address : `ipv${family}:${address}`;
}

const CONTROLLER_TLS_NAME = 'wofleet-controller';
