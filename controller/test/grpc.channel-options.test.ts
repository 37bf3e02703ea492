import { describe, expect, it } from 'vitest';
import { channelOptions, channelTarget } from '../src/grpc/channel-options.js';

describe('channelTarget', () => {
  it.each([
    ['10.0.0.5:50051', 'ipv4:10.0.0.5:50051'],
    ['[2001:db8::1]:50051', 'ipv6:[2001:db8::1]:50051'],
    ['agent-7.example.com:50051', 'agent-7.example.com:50051'],
    ['localhost:50051', 'localhost:50051'],
  ])('%s dials %s', (address, target) => {
    expect(channelTarget(address)).toBe(target);
  });
});

describe('channelOptions', () => {
  it('sends a fixed TLS name to an IP address and the host name otherwise', () => {
    expect(channelOptions('10.0.0.5:50051', 'wofleet-agent')['grpc.ssl_target_name_override']).toBe('wofleet-agent');
    expect(channelOptions('[2001:db8::1]:50051')['grpc.ssl_target_name_override']).toBe('wofleet-controller');
    expect(channelOptions('agent-7.example.com:50051')).not.toHaveProperty('grpc.ssl_target_name_override');
  });
});
