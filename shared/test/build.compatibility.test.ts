import { describe, expect, it } from 'vitest';
import { controllerServes, previousLine, releaseLine, versionRefusal } from '../src/build/compatibility.js';

describe('release lines', () => {
  it.each([
    ['0.2.0', { major: 0, minor: 2 }],
    ['0.2.7-rc.1', { major: 0, minor: 2 }],
    ['1.4.2', { major: 1 }],
    ['2.0.0+build.5', { major: 2 }],
    ['sim', undefined],
    ['0.2', undefined],
  ])('%s is on line %j', (version, line) => {
    expect(releaseLine(version)).toEqual(line);
  });

  it.each([
    [
      { major: 0, minor: 3 },
      { major: 0, minor: 2 },
    ],
    [{ major: 0, minor: 0 }, undefined],
    [{ major: 3 }, { major: 2 }],
    [{ major: 1 }, undefined],
  ])('the line before %j is %j', (line, previous) => {
    expect(previousLine(line)).toEqual(previous);
  });
});

describe('which controller serves which peer', () => {
  it.each([
    ['0.2.0', '0.2.0', true],
    ['0.2.0', '0.2.9', true],
    ['0.2.3', '0.2.0', true],
    ['0.3.0', '0.2.5', true],
    ['0.4.0', '0.2.5', false],
    ['0.2.0', '0.3.0', false],
    ['2.1.0', '1.9.0', true],
    ['2.0.0', '2.7.1', true],
    ['3.0.0', '1.0.0', false],
    ['0.2.0', 'sim', false],
  ])('controller %s, peer %s: %s', (controller, peer, serves) => {
    expect(controllerServes(controller, peer)).toBe(serves);
  });
});

describe('refusals', () => {
  it('a controller names both versions, the rule and the fix for an agent of a newer line', () => {
    expect(versionRefusal({ role: 'controller', peer: 'agent' }, '0.2.0', '0.3.1')).toBe(
      'controller 0.2.0 refuses wofleet-agent 0.3.1: a controller serves agents of its release line 0.2.x and the one before, 0.1.x; upgrade the controller first (docs/COMPATIBILITY.md)',
    );
  });

  it('a controller tells a CLI two lines behind to upgrade itself', () => {
    expect(versionRefusal({ role: 'controller', peer: 'client' }, '0.4.0', '0.2.0')).toBe(
      'controller 0.4.0 refuses wofleet 0.2.0: a controller serves CLIs of its release line 0.4.x and the one before, 0.3.x; upgrade this CLI to 0.4.x (docs/COMPATIBILITY.md)',
    );
  });

  it('a peer without the header is taken for 0.1.0: served by 0.2, refused by 0.3 with the reason', () => {
    expect(versionRefusal({ role: 'controller', peer: 'agent' }, '0.2.0', undefined)).toBeUndefined();
    expect(versionRefusal({ role: 'controller', peer: 'agent' }, '0.3.0', undefined)).toContain(
      "refuses wofleet-agent 0.1.0 (it sent no wofleet-version: wofleet before 0.2.0): a controller serves agents of its release line 0.3.x and the one before, 0.2.x; upgrade the agent to 0.3.x ('wofleet agents upgrade'",
    );
  });

  it('an agent refuses a controller of an older line: the controller goes first', () => {
    expect(versionRefusal({ role: 'agent' }, '0.2.0', undefined)).toBe(
      'wofleet-agent 0.2.0 refuses controller 0.1.0 (it sent no wofleet-version: wofleet before 0.2.0): a controller serves agents of its release line 0.1.x and the one before, 0.0.x; upgrade the controller first (docs/COMPATIBILITY.md)',
    );
  });

  it('an agent answers a controller of its own line or the next', () => {
    expect(versionRefusal({ role: 'agent' }, '0.2.0', '0.2.4')).toBeUndefined();
    expect(versionRefusal({ role: 'agent' }, '0.2.0', '0.3.0')).toBeUndefined();
  });

  it('a version that is no version is quoted printable and bounded', () => {
    const refusal = versionRefusal({ role: 'controller', peer: 'client' }, '0.2.0', `x\u001b[31m${'y'.repeat(200)}`);
    expect(refusal).toContain('is not a wofleet version (x.y.z)');
    expect(refusal).not.toContain('\u001b');
    expect(refusal?.length).toBeLessThan(300);
  });
});
