import { afterAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { useHost } from '../host/index.js';

// What validate refuses or warns because podman 5.4.2 (netavark 1.14) or systemd 257 refuses it later
// (src/manifest/runtime-refusals.ts, src/compile/network-options.ts, the host-port check in src/manifest/checks.ts),
// shown on the real host so that each rule's reason stays true: the unit tests hold the rules, this file the facts.

const host = useHost();
const NET = 'pr-net';

const run = (argv: string[]) => host.exec(argv);
const podmanRun = (args: string[]) => run(['podman', 'run', '--rm', ...args, BUSYBOX_IMAGE, 'true']);
const bind = async (name: string, publish: string) => run(['podman', 'run', '-d', '--name', name, '-p', publish, BUSYBOX_IMAGE, 'sleep', '600']);
const created: string[] = [];

afterAll(async () => {
  if (created.length > 0) await run(['podman', 'rm', '-f', '-t', '0', ...created]);
  await run(['podman', 'network', 'rm', '-f', NET]);
});

/**
 * `podman network create` of NET with `args`, then a container on it; both results, and the network removed with its
 * bridge. A container that failed on the network (a gateway on the broadcast address: "add default route") leaves
 * the bridge behind with its address, and `podman network rm` does not remove it; left there, the host's rootless
 * containers fail to start (`pasta failed with exit code 1`: pasta takes the host's interfaces as its template), as a
 * whole run of the suites showed.
 */
async function network(args: string[]): Promise<{ create: number; createErr: string; start: number; startErr: string }> {
  const c = await run(['podman', 'network', 'create', ...args, NET]);
  const bridge = c.code === 0 ? (await run(['podman', 'network', 'inspect', '--format', '{{.NetworkInterface}}', NET])).stdout.trim() : '';
  const r = c.code === 0 ? await podmanRun(['--network', NET]) : { code: -2, stderr: '' };
  await run(['podman', 'network', 'rm', '-f', NET]);
  if (bridge !== '') await run(['sh', '-c', `! ip link show ${bridge} >/dev/null 2>&1 || ip link delete ${bridge}`]);
  return { create: c.code, createErr: c.stderr, start: r.code, startErr: r.stderr };
}

describe('host ports as podman binds them', () => {
  it('0.0.0.0 and an unset address take every IPv4 address; :: binds IPv6 only', async () => {
    // Ports no other suite publishes: the suites share one host, and a rootless unit of another may still hold its own.
    created.push('pr-p1', 'pr-p2', 'pr-p3', 'pr-p4', 'pr-p5', 'pr-p6');
    expect((await bind('pr-p1', '127.0.0.1:18380:80')).code).toBe(0);
    expect((await bind('pr-p2', '0.0.0.0:18380:80')).stderr).toMatch(/address already in use/);
    expect((await bind('pr-p3', '18380:80')).stderr).toMatch(/address already in use/);
    expect((await bind('pr-p4', '[::]:18381:80')).code).toBe(0);
    expect((await bind('pr-p5', '127.0.0.1:18381:80')).code).toBe(0);
    expect((await bind('pr-p6', '[::1]:18381:80')).stderr).toMatch(/address already in use/);
  });
});

describe('network values', () => {
  it.each([
    [['--opt', 'mode=l2'], /unknown bridge mode "l2"/],
    [['--opt', 'isolate=maybe'], /ParseBool/],
    [['--opt', 'no_default_route=maybe'], /ParseBool/],
    [['--opt', 'vlan=4095'], /vlan ID 4095 must be between 0 and 4094/],
    [['--opt', 'metric=4294967296'], /value out of range/],
    [['-d', 'macvlan', '--opt', 'mode=source'], /unknown macvlan mode "source"/],
  ])('podman network create %j is refused', async (args, why) => {
    const r = await network(['--subnet', '10.60.0.0/24', ...args]);
    expect([r.create, r.createErr]).toEqual([125, expect.stringMatching(why)]);
  });

  it.each([
    [['--subnet', '10.60.0.0/24', '--opt', 'mtu=67'], /create bridge/],
    [['--subnet', '10.60.0.0/24', '--opt', 'mtu=65536'], /create bridge/],
    [['--subnet', '10.60.0.0/24', '--opt', 'com.docker.network.bridge.name=abcdefghijklmnop'], /Numerical result out of range/],
    [['--subnet', '10.60.0.0/31'], /failed to find free IP/],
    [['--subnet', '10.60.0.0/32'], /failed to find free IP/],
    [['--subnet', 'fd00:60::/127'], /failed to find free IP/],
    [['--subnet', '10.60.0.0/24', '--gateway', '10.60.0.255'], /add default route/],
  ])('%j is created, and its first container fails', async (args, why) => {
    const r = await network(args);
    expect([r.create, r.start === 0, r.startErr]).toEqual([0, false, expect.stringMatching(why)]);
  });

  // Subnets apart from the cases above: a container that failed on a network may leave its bridge's address behind,
  // and podman then refuses the same subnet as "already used on the host".
  it.each([
    [['--subnet', '10.61.1.0/24', '--opt', 'mtu=68']],
    [['--subnet', '10.61.2.0/24', '--opt', 'mtu=65535']],
    [['--subnet', '10.61.3.0/24', '--opt', 'com.docker.network.bridge.name=abcdefghijklmno']],
    [['--subnet', '10.61.4.0/30']],
    [['--subnet', '10.61.5.0/24', '--gateway', '10.61.5.0']],
    [['--subnet', '10.61.6.0/24', '--opt', 'isolate=strict', '--opt', 'metric=4294967295']],
  ])('%j runs', async (args) => {
    expect(await network(args)).toEqual({ create: 0, createErr: '', start: 0, startErr: '' });
  });

  it.each(['bridge', 'host', 'none', 'private', 'default', 'pasta', 'slirp4netns'])('the network name %s is refused', async (name) => {
    expect((await run(['podman', 'network', 'create', name])).stderr).toMatch(/conflicts with a valid network mode/);
  });

  it("networks without a subnet take /24s of podman's automatic pool 10.89.0.0/16, the next free one each", async () => {
    const subnets: string[] = [];
    for (const n of ['pr-auto1', 'pr-auto2']) {
      await host.execOk(['podman', 'network', 'create', n]);
      subnets.push((await host.execOk(['podman', 'network', 'inspect', '--format', '{{range .Subnets}}{{.Subnet}}{{end}}', n])).trim());
    }
    await run(['podman', 'network', 'rm', 'pr-auto1', 'pr-auto2']);
    // Which /24 depends on the networks the host already has (other suites make some): only the pool is asserted.
    for (const subnet of subnets) expect(subnet).toMatch(/^10\.89\.\d{1,3}\.0\/24$/);
    expect(subnets[0]).not.toBe(subnets[1]);
  });
});

describe('containers and services', () => {
  it('a ulimit soft above its hard is refused; a health command with an empty program makes no health check', async () => {
    expect((await podmanRun(['--ulimit', 'nofile=2048:1024'])).stderr).toMatch(/soft limit must be less than or equal to hard limit/);
    created.push('pr-hc');
    await host.execOk(['podman', 'run', '-d', '--name', 'pr-hc', '--health-cmd', '["", "x"]', BUSYBOX_IMAGE, 'sleep', '600']);
    expect((await run(['podman', 'healthcheck', 'run', 'pr-hc'])).stderr).toMatch(/has no defined healthcheck/);
  });

  it('a working directory that is neither in the image nor a mount stops the container', async () => {
    expect((await podmanRun(['-w', '/nonexistent'])).stderr).toMatch(/workdir "\/nonexistent" does not exist/);
  });

  it.each(['always', 'on-success'])('systemd refuses Type=oneshot with Restart=%s (bad-setting)', async (restart) => {
    const unit = `pr-oneshot-${restart}.service`;
    await host.execOk(['sh', '-c', `printf '[Service]\\nType=oneshot\\nRestart=${restart}\\nExecStart=/bin/true\\n' > /run/systemd/system/${unit} && systemctl daemon-reload`]);
    expect((await host.execOk(['systemctl', 'show', '-p', 'LoadState', unit])).trim()).toBe('LoadState=bad-setting');
    await host.execOk(['sh', '-c', `rm /run/systemd/system/${unit} && systemctl daemon-reload`]);
  });
});
