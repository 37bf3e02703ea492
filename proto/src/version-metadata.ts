import {
  InterceptingCall,
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type Interceptor,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { VERSION_METADATA_KEY, WOFLEET_VERSION } from '@wofleet/shared';

/**
 * The version handshake of every call (docs/COMPATIBILITY.md): each wofleet client sends
 * its version as request metadata `wofleet-version`; each wofleet server reads it before
 * the request reaches a handler and ends an incompatible call with FAILED_PRECONDITION and
 * one line naming both versions, so a peer of another release line reads why instead of
 * a message it cannot decode.
 */

/** Adds `wofleet-version: <version>` to every call of the client it is given to. */
export function versionClientInterceptor(version: string = WOFLEET_VERSION): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(VERSION_METADATA_KEY, version);
        next(metadata, listener);
      },
    });
}

/**
 * Why a call from a peer that sent `peerVersion` (undefined: none) to `method` (the
 * gRPC path, `/wofleet.v1.AgentService/GetStatus`) is refused; undefined to serve it.
 */
export type VersionCheck = (peerVersion: string | undefined, method: string) => string | undefined;

/** Ends each call `check` refuses with FAILED_PRECONDITION and its reason, before any handler runs. */
export function versionServerInterceptor(check: VersionCheck): ServerInterceptor {
  return (method, call) => {
    // Health probes (Prometheus exporters, grpc_health_probe, load balancers) send no version.
    if (method.path.startsWith('/grpc.health.v1.Health/')) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const sent = metadata.get(VERSION_METADATA_KEY)[0];
        const refusal = check(typeof sent === 'string' ? sent : undefined, method.path);
        if (refusal === undefined) next(metadata);
        else call.sendStatus({ code: status.FAILED_PRECONDITION, details: refusal });
      })
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}
