import { ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import { Histogram, type Registry } from 'prom-client';

/** Unary calls answer in milliseconds; a live status call waits on an agent (5 s); `rollout watch` streams for minutes. */
const RPC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120, 600];

type CallType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

function callType(descriptor: { requestStream: boolean; responseStream: boolean }): CallType {
  if (descriptor.requestStream) return descriptor.responseStream ? 'bidi_stream' : 'client_stream';
  return descriptor.responseStream ? 'server_stream' : 'unary';
}

/** `/wofleet.v1.ControllerService/ListServers` -> service and method. */
function splitPath(path: string): { service: string; method: string } {
  const [, service = '', method = ''] = /^\/([^/]*)\/(.*)$/.exec(path) ?? [];
  return { service, method };
}

/**
 * Every call the gRPC server handles, whatever service (the health service included):
 * how long it took and the status it ended with, by name (`OK`, `NOT_FOUND`, ...). A call
 * the client cancelled counts as `CANCELLED`. Errors are the `_count` series whose code
 * is not `OK`. A server interceptor, so no handler needs to know.
 */
export function rpcMetricsInterceptor(registry: Registry): ServerInterceptor {
  const duration = new Histogram({
    name: 'wofleet_controller_rpc_duration_seconds',
    help: 'gRPC calls handled by the controller: seconds from the call arriving to its status, by service, method, call type and status code.',
    labelNames: ['service', 'method', 'type', 'code'],
    buckets: RPC_BUCKETS,
    registers: [registry],
  });
  return (descriptor, call) => {
    const started = performance.now();
    const labels = { ...splitPath(descriptor.path), type: callType(descriptor) };
    let ended = false;
    const end = (code: status) => {
      if (ended) return;
      ended = true;
      duration.observe({ ...labels, code: status[code] ?? String(code) }, (performance.now() - started) / 1000);
    };
    return new ServerInterceptingCall(call, {
      start: (next) => next({ onCancel: () => end(status.CANCELLED) }),
      sendStatus: (sent, next) => {
        end(sent.code ?? status.UNKNOWN);
        next(sent);
      },
    });
  };
}
