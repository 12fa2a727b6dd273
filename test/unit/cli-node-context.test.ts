import { hostname } from 'node:os';
import { nodeFacts } from '../../src/store/node/facts.js';
import { describe, expect, it } from 'vitest';
import { defaultStateDir, defaultUnitDir, followPolicyOf, refOf, resolveNodeContext } from '../../src/cli/node-context.js';
import { DEFAULT_STATE_DIR } from '../../src/defaults.js';
import { UsageError } from '../../src/errors.js';
import { SYSTEM_BUS_ADDRESS } from '../../src/systemd/address.js';

const base = { stateDir: '/s', manifests: '/m' };

describe('the node context', () => {
  it('--unit-dir is the unit directory for every command; only a live command takes an explicit one as its apps', () => {
    expect(resolveNodeContext({ ...base, unitDir: '/u' })).toMatchObject({ unitDir: '/u', appsFrom: 'catalog' });
    expect(resolveNodeContext({ ...base, unitDir: '/u' }, { appsFromExplicitUnitDir: true })).toMatchObject({ unitDir: '/u', appsFrom: 'unit-dir' });
    expect(resolveNodeContext(base, { appsFromExplicitUnitDir: true })).toMatchObject({ unitDir: defaultUnitDir(false), appsFrom: 'catalog' });
    expect(resolveNodeContext({ ...base, user: true })).toMatchObject({ unitDir: defaultUnitDir(true), manager: 'user' });
  });

  it('resolves the bus, the source and the pass settings once', () => {
    const ctx = resolveNodeContext({ ...base, dryRun: true });
    expect(ctx).toMatchObject({ manifestsDir: '/m', stateDir: '/s', busAddress: SYSTEM_BUS_ADDRESS, manager: 'system', json: false });
    expect(ctx.git).toBeUndefined();
    expect(ctx.pass).toEqual({ generator: ['/usr/libexec/podman/quadlet'], podmanVersion: '5.4.2', podman: ['podman'], node: nodeFacts(), dryRun: true, allowEmpty: false });
    expect(resolveNodeContext({ ...base, allowEmpty: true }).pass.allowEmpty).toBe(true);
    // The node's facts: read from the machine; the domain only when given.
    expect(ctx.pass.node.hostname).toBe(hostname());
    expect(ctx.pass.node.domain).toBeUndefined();
    expect(resolveNodeContext({ ...base, nodeDomain: 'node.example', podman: '/opt/podman' }).pass).toMatchObject({ podman: ['/opt/podman'], node: { domain: 'node.example' } });
    const git = resolveNodeContext({ ...base, bus: 'unix:path=/x', git: 'file:///repo' });
    expect(git.busAddress).toBe('unix:path=/x');
    expect({ url: git.git?.url, ref: git.git?.ref }).toEqual({ url: 'file:///repo', ref: 'main' });
  });

  it('the state directory: --state-dir, else /var/lib/archy-quadlet, or rootless the XDG state home', () => {
    const { stateDir: _, ...noState } = base;
    expect(resolveNodeContext(noState).stateDir).toBe(DEFAULT_STATE_DIR);
    expect(resolveNodeContext({ ...base, user: true }).stateDir).toBe('/s');
    expect(defaultStateDir(false, { XDG_STATE_HOME: '/x' }, '/home/a')).toBe(DEFAULT_STATE_DIR);
    expect(defaultStateDir(true, {}, '/home/a')).toBe('/home/a/.local/state/archy-quadlet');
    expect(defaultStateDir(true, { XDG_STATE_HOME: '/home/a/st' }, '/home/a')).toBe('/home/a/st/archy-quadlet');
    // A relative XDG_STATE_HOME is invalid by the specification and ignored.
    expect(defaultStateDir(true, { XDG_STATE_HOME: 'st' }, '/home/a')).toBe('/home/a/.local/state/archy-quadlet');
  });

  it("a fleet's node: --ring is --ref ring/NAME; the node's name defaults to the host name; keys go with --verify-commits", () => {
    expect(refOf({ ring: 'canary', ref: 'main' })).toBe('ring/canary');
    expect(refOf({ ref: 'v2' })).toBe('v2');
    expect(() => refOf({ ring: 'canary', ref: 'v2' })).toThrow(UsageError);
    expect(() => refOf({ ring: '../x' })).toThrow(/a ring is a name/);
    expect(followPolicyOf({}, 'host-1')).toEqual({ node: 'host-1' });
    expect(followPolicyOf({ nodeName: 'n1', verifyCommits: true, allowedSigners: '/etc/a', allowRollbackTo: 'abcdef0' }, 'h')).toEqual({ node: 'n1', verify: { allowedSigners: '/etc/a' }, allowRollbackTo: 'abcdef0' });
    expect(() => followPolicyOf({ verifyCommits: true }, 'h')).toThrow(/--verify-commits needs the keys/);
    expect(() => followPolicyOf({ allowedSigners: '/etc/a' }, 'h')).toThrow(/give it too/);
    expect(() => followPolicyOf({ nodeName: '../etc/passwd' }, 'h')).toThrow(UsageError);
    expect(() => followPolicyOf({ allowRollbackTo: 'HEAD~1' }, 'h')).toThrow(/a commit id/);
    const ctx = resolveNodeContext({ ...base, git: 'file:///repo', ring: 'stable', nodeName: 'n2' });
    expect({ ref: ctx.git?.ref, policy: ctx.git?.policy }).toEqual({ ref: 'ring/stable', policy: { node: 'n2' } });
  });
});
