// import container's pure core over real `podman inspect` output (test/fixtures/inspect, made on the test host: its
// README has the podman run of each): only the user's values are kept, each manifest validates, compiles and passes
// podman 5.4.2's generator, and the generated podman run carries the container's image, command, environment,
// mounts, ports and user.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { formatProblem } from '../../src/errors.js';
import { importContainer, type InspectContainer, type InspectImage } from '../../src/import/inspect.js';
import { manifestYaml } from '../../src/import/manifest-yaml.js';
import { splitUnitWords } from '../../src/render/unit-words.js';
import { loadManifests } from '../../src/manifest/load.js';
import type { NetworkRef } from '../../src/manifest/types.js';
import { renderUnits } from '../../src/render/render-units.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';
import { runQuadletDryRun } from '../support/quadlet.js';

const FIXTURES = 'test/fixtures/inspect';
const read = <T>(file: string): T => (JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as T[])[0]!;
const image = read<InspectImage>('image-localhost-busybox-latest.json');
const imported = (name: string): ReturnType<typeof importContainer> => importContainer(read<InspectContainer>(`${name}.json`), image);
const shown = (r: ReturnType<typeof importContainer>, level: string): string[] => r.findings.filter((f) => f.level === level).map(formatProblem);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The imported manifests through the loader, the compiler and podman 5.4.2's generator (in `scope`'s mode): the services it wrote. */
async function generated(results: ReadonlyArray<ReturnType<typeof importContainer>>, scope: 'system' | 'user'): Promise<Map<string, string>> {
  const loaded = loadManifests(results.map((r) => ({ file: `manifests/${r.manifest!.id}.yaml`, text: manifestYaml(r.manifest!, `podman inspect ${r.manifest!.id}`, 'container') })));
  expect(loaded.problems).toEqual([]);
  const compiled = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope });
  expect(compiled.problems).toEqual([]);
  const out = mkdtempSync(join(tmpdir(), 'archy-import-container-'));
  dirs.push(out);
  for (const f of renderUnits(compiled.units, await loadUnitTemplates())) writeFileSync(join(out, f.name), f.content);
  const run = runQuadletDryRun(out, { user: scope === 'user' });
  expect(run.complaints).toEqual([]);
  return run.services;
}

/** The `podman run` argv of an app's generated service, as systemd splits it. */
function podmanRun(services: Map<string, string>, id: string): string[] {
  const line = /^ExecStart=(.*podman run .*)$/m.exec(services.get(`${id}.service`)!)![1]!;
  return (splitUnitWords(line, 'args') as { words: string[] }).words.map((w) => w.replaceAll('$$', '$').replaceAll('%%', '%'));
}

describe('import container: podman inspect → manifest', () => {
  it('bitcoind: bind, ports, health, user, init, stop signal and timeout, labels; podman\'s own env left out', () => {
    const r = imported('bitcoind');
    expect(shown(r, 'error')).toEqual([]);
    expect(shown(r, 'dropped')).toEqual([]);
    expect(r.manifest).toEqual({
      id: 'bitcoind',
      image: 'localhost/busybox:latest',
      command: ['sh', '-c', 'touch /tmp/ready; trap "exit 0" INT TERM; while true; do sleep 1; done'],
      environment: { RPC_ALLOW: '127.0.0.1 10.0.0.0/8', BITCOIN_NETWORK: 'mainnet' },
      user: '1000:1000',
      binds: [{ source: '/srv/bitcoind', target: '/home/bitcoin/.bitcoin' }],
      networks: ['archy-legacy'],
      ports: [{ container: 8332, hostIp: '127.0.0.1' }, { container: 8333 }],
      health: { cmd: ['/bin/sh', '-c', 'test -f /tmp/ready'], startPeriod: '1m', retries: 5 },
      labels: { app: 'bitcoin', 'org.example.tier': 'core' },
      init: true,
      hostname: 'bitcoind',
      stop: { signal: 'SIGINT', timeout: '600s' },
      restart: 'always',
    });
    expect(shown(r, 'note')).toEqual([
      "container bitcoind /Config/Env: PATH, container, HOSTNAME, HOME: the image's or podman's own, left out",
      "container bitcoind /Config/Healthcheck: the unit's start waits until the check passes (health.gateStart)",
    ]);
  });

  it('lnd: its named volume is the app\'s volume, secrets by reference (the env one\'s variable from CreateCommand), the retry limit dropped', () => {
    const r = imported('lnd');
    const m = r.manifest!;
    expect(m.entrypoint).toEqual(['/bin/sh']);
    expect(m.command).toEqual(['-c', 'trap "exit 0" TERM; while true; do sleep 1; done']);
    expect(m.environment).toEqual({ LND_ALIAS: 'Archy node', BITCOIND_RPCHOST: 'bitcoind:8332' });
    expect(m.secrets).toEqual([{ name: 'bitcoin-rpc-password', env: 'BITCOIND_RPCPASS' }, { name: 'lnd-wallet-password', target: '/run/secrets/wallet-password' }]);
    expect(m.volumes).toEqual([{ name: 'data', target: '/root/.lnd' }]);
    expect(m.binds).toEqual([{ source: '/srv/lnd-conf/lnd.conf', target: '/root/.lnd/lnd.conf', readOnly: true }]);
    expect(m.tmpfs).toEqual([{ target: '/tmp', size: '64Mi', mode: '1777' }]);
    expect(m.ulimits).toEqual({ nofile: { soft: 4096, hard: 8192 } });
    // The old container's auto-update registry on localhost/busybox could never update: the manifest says local.
    expect([m.workingDir, m.shmSize, m.autoUpdate, m.restart]).toEqual(['/root/.lnd', '128Mi', 'local', 'on-failure']);
    expect(m.security).toEqual({ readOnly: true, capDrop: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'], noNewPrivileges: true });
    expect(m.hosts).toEqual([{ host: 'bitcoind.local', ip: '10.89.0.2' }]);
    expect(shown(r, 'dropped')).toEqual(['container lnd /HostConfig/RestartPolicy/MaximumRetryCount: the retry limit 5 is not carried over: systemd restarts without a count (its own start limit applies)']);
  });

  it('electrs: host network, the anonymous volume kept by its name, a dotted host name and the log driver in the escape hatch', () => {
    const m = imported('electrs').manifest!;
    expect(m.hostNetwork).toBe(true);
    expect(m.restart).toBe('always');
    expect(m.quadlet).toEqual({
      Container: {
        Volume: '216536353f7ae8541f82c9bf4a371bf994c0d769f0699f8b3d4a210878319dad:/data',
        DNS: '1.1.1.1',
        HostName: 'electrs.local',
        LogDriver: 'k8s-file',
      },
    });
  });

  it('my_tool: the id is a DNS label (the old container must go by hand), the random port pinned, the terminal dropped', () => {
    const r = imported('my_tool');
    expect(r.manifest!.id).toBe('my-tool');
    expect(r.manifest!.ports).toEqual([{ container: 3000, host: 33209 }]);
    expect(r.manifest!.environment).toEqual({ TERM: 'xterm-256color' });
    expect(r.manifest!.devices).toEqual([{ host: '/dev/null', container: '/dev/mynull' }]);
    expect(shown(r, 'dropped')).toEqual(['container my_tool /Config/Tty: the terminal is not carried over: a container run by systemd has no terminal or stdin']);
    expect(shown(r, 'note')[0]).toBe('container my_tool /Name: the app is "my-tool" (ids are DNS labels): its unit\'s container replaces a container named my-tool, not my_tool (remove the old one before apply: podman rm -f my_tool)');
  });

  it('rootless: podman\'s default pasta is no network of the manifest\'s; pasta with options or slirp4netns is kept as written', async () => {
    const c = read<InspectContainer>('my_tool.json');
    const rootless = (mode: string, flags: string[]): InspectContainer => ({
      ...c,
      HostConfig: { ...c.HostConfig, NetworkMode: mode },
      NetworkSettings: { Networks: null },
      Config: { ...c.Config, CreateCommand: ['podman', 'run', ...flags, 'busybox'] },
    });
    const network = (r: ReturnType<typeof importContainer>): [NetworkRef[] | undefined, unknown, string[]] => [r.manifest!.networks, r.manifest!.quadlet?.Container?.Network, shown(r, 'note').filter((n) => n.includes('NetworkMode'))];
    expect(network(importContainer(rootless('pasta', []), image))).toEqual([undefined, undefined, []]);
    expect(network(importContainer(rootless('pasta', ['--network', 'pasta:-T,5432']), image))).toEqual([
      undefined,
      'pasta:-T,5432',
      ["container my_tool /HostConfig/NetworkMode: pasta:-T,5432: kept in quadlet: Container: Network (a manifest container is on the host's network or on podman networks)"],
    ]);
    expect(network(importContainer(rootless('slirp4netns', ['--net=slirp4netns:port_handler=slirp4netns']), image))[1]).toBe('slirp4netns:port_handler=slirp4netns');
    expect(network(importContainer(rootless('slirp4netns', []), image))[1]).toBe('slirp4netns');
    // The user's generator passes it on: the unit's container is on the same user-mode network.
    const argv = podmanRun(await generated([importContainer(rootless('pasta', ['--network=pasta:-T,5432']), image)], 'user'), 'my-tool');
    expect(argv.slice(argv.indexOf('--network'), argv.indexOf('--network') + 2)).toEqual(['--network', 'pasta:-T,5432']);
  });

  it('rootless, a numeric user with binds: a note to give the old container\'s files to the node\'s user, since the unit maps it onto that uid', () => {
    const c = read<InspectContainer>('bitcoind.json');
    const ownership = (r: ReturnType<typeof importContainer>): string[] => shown(r, 'note').filter((n) => n.includes('/Config/User'));
    expect(ownership(importContainer(c, image))).toEqual([]);
    expect(ownership(importContainer(c, image, 'user'))).toEqual([
      "container bitcoind /Config/User: rootless, the unit maps the node's user onto 1000:1000 (UserNS=keep-id): what the old container wrote under its binds as 1000:1000 belongs to a subordinate uid and is not 1000:1000's in the unit's container (give it to the node's user before apply: podman unshare chown -R 0:0 /srv/bitcoind)",
    ]);
    expect(ownership(importContainer({ ...c, Config: { ...c.Config, User: '0' } }, image, 'user'))).toEqual([]);
    expect(ownership(importContainer({ ...c, Mounts: [] }, image, 'user'))).toEqual([]);
  });

  it('without the image every value counts as the user\'s (noted); a container without an image name is an error', () => {
    const c = read<InspectContainer>('bitcoind.json');
    const blind = importContainer(c, undefined);
    expect(blind.manifest!.command).toEqual(c.Config.Cmd);
    expect(shown(blind, 'note')).toContain('container bitcoind /Image: the image could not be inspected: every value of the container counts as chosen for it');
    expect(shown(importContainer({ ...c, ImageName: '' }, image), 'error')).toEqual([
      'container bitcoind /ImageName: an image is a name such as nginx:1.27 (the container was made from an image without a name; tag it and import again)',
    ]);
  });

  it('every fixture validates, compiles, passes podman 5.4.2\'s generator, and runs the container as inspect shows it', async () => {
    const apps = ['bitcoind', 'lnd', 'electrs', 'my_tool'].map((n) => ({ name: n, result: imported(n) }));
    const services = await generated(apps.map((a) => a.result), 'system');
    for (const { name, result } of apps) {
      const c = read<InspectContainer>(`${name}.json`);
      const argv = podmanRun(services, result.manifest!.id);
      const at = argv.indexOf(c.ImageName!);
      expect(at, `${name}: image`).toBeGreaterThan(0);
      expect(argv.slice(at + 1), `${name}: command`).toEqual(c.Config.Entrypoint ? c.Config.Cmd : c.Config.Cmd ?? []);
      const flags = (flag: string): string[] => argv.slice(0, at).flatMap((w, i) => (w === flag ? [argv[i + 1]!] : []));
      for (const m of c.Mounts ?? []) expect(flags('-v').some((v) => v.split(':')[1] === m.Destination && (m.Type !== 'bind' || v.startsWith(`${m.Source}:`))), `${name}: mount ${m.Destination}`).toBe(true);
      const published = Object.entries(c.HostConfig.PortBindings ?? {}).flatMap(([k, bs]) => (bs ?? []).map((b) => `${b.HostIp && b.HostIp !== '0.0.0.0' ? `${b.HostIp}:` : ''}${b.HostPort}:${k.split('/')[0]}`));
      expect(flags('--publish').sort(), `${name}: ports`).toEqual(published.sort());
      for (const [k, v] of Object.entries(result.manifest!.environment ?? {})) expect(flags('--env'), `${name}: env ${k}`).toContain(`${k}=${v}`);
      if (c.Config.User) expect(flags('--user'), `${name}: user`).toEqual([c.Config.User]);
      expect(argv, `${name}: replaces the container of its name`).toEqual(expect.arrayContaining(['--name', result.manifest!.id, '--replace']));
    }
  });
});
