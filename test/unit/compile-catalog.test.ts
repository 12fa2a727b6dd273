import { describe, expect, it } from 'vitest';
import { compileCatalog, sourceName, type CompileOptions } from '../../src/compile/compile-catalog.js';
import type { ContainerUnit, UnitSpec } from '../../src/compile/model.js';
import { UsageError } from '../../src/errors.js';
import type { LoadedManifest, Manifest } from '../../src/manifest/types.js';

const IMAGE = 'docker.io/library/busybox:1.36.1';
const OPTS: CompileOptions = { podmanVersion: '5.4.2', scope: 'system' };
const lm = (m: Partial<Manifest> & { id: string }): LoadedManifest => ({ file: `manifests/${m.id}.yaml`, manifest: m.containers ? m : { image: IMAGE, ...m } });
const compile = (ms: LoadedManifest[], opts: Partial<CompileOptions> = {}) => compileCatalog(ms, { ...OPTS, ...opts });
const unit = (units: UnitSpec[], file: string): UnitSpec => {
  const u = units.find((x) => x.file === file);
  if (!u) throw new Error(`no ${file} in ${units.map((x) => x.file).join(', ')}`);
  return u;
};
const container = (units: UnitSpec[], file: string): ContainerUnit => unit(units, file) as ContainerUnit;
const messages = (r: { problems: Array<{ pointer?: string; message: string }> }): string[] => r.problems.map((p) => `${p.pointer}: ${p.message}`);

describe('compileCatalog: the app container', () => {
  it('names the unit and the container after the id, and reaches the host via host-gateway', () => {
    const { units, problems } = compile([lm({ id: 'app' })]);
    expect(problems).toEqual([]);
    expect(units.map((u) => u.file)).toEqual(['app.container']);
    const c = container(units, 'app.container');
    expect(c.Container.ContainerName).toBe('app');
    expect(c.Container.AddHost).toEqual(['host.containers.internal:host-gateway']);
    expect(c.sources).toEqual(['manifests/app.yaml']);
  });

  it('[Install] only when the effective desired state is running: override > manifest > running', () => {
    expect(container(compile([lm({ id: 'a' })]).units, 'a.container').Install).toEqual({ WantedBy: ['multi-user.target'] });
    expect(container(compile([lm({ id: 'a' })], { scope: 'user' }).units, 'a.container').Install).toEqual({ WantedBy: ['default.target'] });
    expect(container(compile([lm({ id: 'a', state: 'stopped' })]).units, 'a.container').Install).toBeUndefined();
    expect(container(compile([lm({ id: 'a', state: 'stopped' })], { overrides: { a: 'running' } }).units, 'a.container').Install).toBeDefined();
    expect(container(compile([lm({ id: 'a' })], { overrides: { a: 'stopped' } }).units, 'a.container').Install).toBeUndefined();
  });

  it('absent (by manifest or override) → no units at all, not even its volumes or networks', () => {
    expect(compile([lm({ id: 'a', state: 'absent', volumes: [{ name: 'd', target: '/d' }], networks: ['n'] })]).units).toEqual([]);
    expect(compile([lm({ id: 'a', networks: ['n'] })], { overrides: { a: 'absent' } }).units).toEqual([]);
  });

  it('timeouts: TimeoutStopSec = StopTimeout + 30 s; TimeoutStartSec = 15 min pull + start period + one interval with Notify=healthy', () => {
    const c = container(compile([lm({ id: 'a', stop: { timeout: '10m' }, health: { cmd: ['true'], startPeriod: '5m', interval: '1m' } })]).units, 'a.container');
    expect(c.Container.StopTimeout).toBe(600);
    expect(c.Service.TimeoutStopSec).toBe(630);
    expect(c.Container.Notify).toBe('healthy');
    expect(c.Service.TimeoutStartSec).toBe(900 + 300 + 60);
    const plain = container(compile([lm({ id: 'b' })]).units, 'b.container');
    expect(plain.Service).toEqual({ Restart: 'on-failure', TimeoutStartSec: 900, TimeoutStopSec: 40 });
  });

  it('gateStart: false → no Notify=healthy and no health time in TimeoutStartSec', () => {
    const c = container(compile([lm({ id: 'a', health: { cmd: ['true'], startPeriod: '5m', gateStart: false } })]).units, 'a.container');
    expect(c.Container.Notify).toBeUndefined();
    expect(c.Service.TimeoutStartSec).toBe(900);
  });

  it('an explicit startTimeout wins, but must outlast the health start period', () => {
    expect(container(compile([lm({ id: 'a', startTimeout: '20m' })]).units, 'a.container').Service.TimeoutStartSec).toBe(1200);
    const r = compile([lm({ id: 'a', startTimeout: '1m', health: { cmd: ['true'], startPeriod: '5m' } })]);
    expect(messages(r)).toEqual(['/startTimeout: must be longer than health.startPeriod (5m): systemd would stop the unit before its first health check counts']);
    expect(r.units).toEqual([]);
  });

  it('mounts: named volumes as <id>-<vol>.volume units, binds and configs (configs read-only)', () => {
    const { units } = compile([
      lm({
        id: 'a',
        volumes: [{ name: 'data', target: '/data' }],
        binds: [{ source: '/srv/a', target: '/a', readOnly: true, relabel: 'Z' }],
        configs: [{ template: 'a.conf.hbs', path: '/var/lib/archipelago/a/a.conf', target: '/etc/a.conf' }],
      }),
    ]);
    expect(unit(units, 'a-data.volume')).toMatchObject({ kind: 'volume', Volume: { VolumeName: 'a-data' }, app: 'a' });
    expect(container(units, 'a.container').Container.Volume).toEqual(['a-data.volume:/data', '/srv/a:/a:ro,Z', '/var/lib/archipelago/a/a.conf:/etc/a.conf:ro']);
  });

  it('secrets by reference, ports with defaults', () => {
    const c = container(
      compile([lm({ id: 'a', secrets: [{ name: 's1', env: 'PW' }, { name: 's2', target: '/run/s2' }, { name: 's3' }], ports: [{ container: 80 }, { container: 53, host: 5353, hostIp: '::1', protocol: 'udp' }] })]).units,
      'a.container',
    );
    expect(c.Container.Secret).toEqual(['s1,type=env,target=PW', 's2,type=mount,target=/run/s2', 's3']);
    expect(c.Container.PublishPort).toEqual(['80:80', '[::1]:5353:53/udp']);
  });

  it('a local build → <id>.build, and the container runs Image=<id>.build', () => {
    const { units } = compile([{ file: 'manifests/t.yaml', manifest: { id: 't', build: { context: '/src/t', tag: 'localhost/t:1' } } }]);
    expect(unit(units, 't.build')).toMatchObject({ kind: 'build', Build: { ImageTag: 'localhost/t:1', SetWorkingDirectory: '/src/t' } });
    expect(container(units, 't.container').Container.Image).toBe('t.build');
  });
});

describe('compileCatalog: across the catalog', () => {
  it('one network unit per distinct name, shared, its sources every manifest that joins it', () => {
    const { units } = compile([lm({ id: 'b', networks: ['archy'] }), lm({ id: 'a', networks: ['archy', 'back'] })]);
    expect(units.map((u) => u.file)).toEqual(['a.container', 'archy.network', 'b.container', 'back.network']);
    expect(unit(units, 'archy.network')).toEqual({
      kind: 'network',
      file: 'archy.network',
      sources: ['manifests/a.yaml', 'manifests/b.yaml'],
      Unit: { Description: 'App network archy' },
      Network: { NetworkName: 'archy' },
    });
    expect(container(units, 'a.container').Container.Network).toEqual(['archy.network', 'back.network']);
  });

  it('an app of several containers: its network is the app\'s unit; each container part of it, wanted by it, on it by its short name', () => {
    const { units, problems } = compile([
      lm({ id: 'lnd', name: 'LND', containers: { lnd: { image: IMAGE, networks: ['archy'] }, ui: { image: IMAGE, ports: [{ container: 80, host: 3002 }], dependsOn: [{ container: 'lnd' }] } } }),
    ]);
    expect(problems).toEqual([]);
    expect(units.map((u) => u.file)).toEqual(['archy.network', 'lnd-lnd.container', 'lnd-ui.container', 'lnd.network']);
    expect(unit(units, 'lnd.network')).toEqual({
      kind: 'network',
      file: 'lnd.network',
      app: 'lnd',
      sources: ['manifests/lnd.yaml'],
      Unit: { Description: 'LND' },
      Network: { NetworkName: 'lnd', ServiceName: 'lnd' },
      Install: { WantedBy: ['multi-user.target'] },
    });
    const ui = container(units, 'lnd-ui.container');
    expect(ui.Unit).toEqual({ Description: 'LND: ui', Requires: ['lnd-lnd.service'], After: ['lnd-lnd.service'], PartOf: ['lnd.service'] });
    expect(ui.Install).toEqual({ WantedBy: ['lnd.service'] });
    expect(ui.Container).toMatchObject({ ContainerName: 'lnd-ui', Network: ['lnd.network:alias=ui'], PublishPort: ['3002:80'] });
    expect(ui.app).toBe('lnd');
    expect(container(units, 'lnd-lnd.container').Container.Network).toEqual(['lnd.network:alias=lnd', 'archy.network']);
  });

  it('a stopped app of several containers: no [Install] on its unit, its containers still wanted by it', () => {
    const { units } = compile([lm({ id: 'pad', state: 'stopped', containers: { a: { image: IMAGE }, b: { image: IMAGE } } })]);
    expect(unit(units, 'pad.network')).not.toHaveProperty('Install');
    expect(container(units, 'pad-a.container').Install).toEqual({ WantedBy: ['pad.service'] });
  });

  it('another app\'s dependencies: its unit required by the app\'s unit; ordered after its containers (healthy: the gated ones; container: that one)', () => {
    const { units, problems } = compile([
      lm({ id: 'bitcoin', containers: { bitcoind: { image: IMAGE, health: { cmd: ['true'] } }, ui: { image: IMAGE } } }),
      lm({ id: 'lnd', containers: { lnd: { image: IMAGE, dependsOn: [{ app: 'bitcoin', condition: 'healthy' }] }, ui: { image: IMAGE } } }),
      lm({ id: 'electrumx', dependsOn: [{ app: 'bitcoin' }] }),
      lm({ id: 'mempool', dependsOn: [{ app: 'bitcoin', container: 'ui' }] }),
    ]);
    expect(problems).toEqual([]);
    expect(unit(units, 'lnd.network').Unit).toEqual({ Description: 'lnd', Requires: ['bitcoin.service'] });
    expect(container(units, 'lnd-lnd.container').Unit).toEqual({ Description: 'lnd: lnd', After: ['bitcoin-bitcoind.service'], PartOf: ['lnd.service'] });
    expect(container(units, 'electrumx.container').Unit).toMatchObject({ Requires: ['bitcoin.service'], After: ['bitcoin-bitcoind.service', 'bitcoin-ui.service'] });
    expect(container(units, 'mempool.container').Unit).toMatchObject({ Requires: ['bitcoin.service'], After: ['bitcoin-ui.service'] });
  });

  it('container fields that real apps need: init, hostname, shm, ulimits, devices, tmpfs, sysctls; host network and privileged warn', () => {
    const r = compile([
      lm({
        id: 'a',
        init: true,
        hostname: 'node',
        shmSize: '64Mi',
        ulimits: { nofile: { soft: 1024, hard: 4096 }, nproc: 100 },
        devices: ['/dev/fuse', { host: '/dev/ttyUSB0', container: '/dev/ttyACM0', permissions: 'rw' }, { host: '/dev/sda', permissions: 'r' }],
        tmpfs: ['/tmp', { target: '/run', size: '1Gi', mode: '1777' }],
        sysctls: { 'net.ipv4.ping_group_range': '0 2147483647' },
        hostNetwork: true,
        privileged: true,
      }),
    ]);
    expect(r.problems).toEqual([]);
    expect(container(r.units, 'a.container').Container).toMatchObject({
      RunInit: true,
      HostName: 'node',
      ShmSize: '64m',
      Ulimit: ['nofile=1024:4096', 'nproc=100:100'],
      AddDevice: ['/dev/fuse', '/dev/ttyUSB0:/dev/ttyACM0:rw', '/dev/sda:/dev/sda:r'],
      Tmpfs: ['/tmp', '/run:size=1g,mode=1777'],
      Sysctl: [['net.ipv4.ping_group_range', '0 2147483647']],
      Network: ['host'],
      PodmanArgs: ['--privileged'],
    });
    expect(container(r.units, 'a.container').Container.AddHost).toBeUndefined();
    expect(r.warnings.map((w) => w.pointer)).toEqual(['/hostNetwork', '/privileged']);
  });

  it('acknowledge: a warning the container gets on purpose moves to acknowledged with its reason; one it never gets is warned', () => {
    const why = 'tor forwards onion services to the host loopback';
    const r = compile([lm({ id: 'tor', hostNetwork: true, acknowledge: { hostNetwork: why } })]);
    expect(r.warnings).toEqual([]);
    expect(r.acknowledged).toEqual([expect.objectContaining({ file: 'manifests/tor.yaml', pointer: '/hostNetwork', reason: why, message: expect.stringContaining("host's network stack") })]);
    // Only what is acknowledged: privileged still warns.
    const both = compile([lm({ id: 'a', hostNetwork: true, privileged: true, acknowledge: { hostNetwork: why } })]);
    expect(both.warnings.map((w) => w.pointer)).toEqual(['/privileged']);
    // Left behind after hostNetwork went: a warning at the entry, so that it cannot hide the next one.
    const stale = compile([lm({ id: 'a', acknowledge: { hostNetwork: why, ports: 'p', user: 'u' }, ports: [{ container: 8080 }], user: '1000' })], { scope: 'user' });
    expect(stale.warnings.map((w) => `${w.pointer}: ${w.message} (${w.hint})`)).toEqual([
      '/acknowledge/hostNetwork: acknowledges a warning this container never gets: hostNetwork is not set (remove acknowledge.hostNetwork)',
      '/acknowledge/ports: acknowledges a warning this container never gets: no host port is below 1024 (remove acknowledge.ports)',
      '/acknowledge/user: acknowledges a warning this container never gets: user is not a name (remove acknowledge.user)',
    ]);
    expect(stale.acknowledged).toEqual([]);
  });

  it("acknowledge: the rootless warnings (a user by name, a host port below 1024) only where they arise, in the container's own entry", () => {
    const m = lm({
      id: 'shop',
      containers: {
        web: { image: IMAGE, user: 'nginx', ports: [{ container: 80, host: 80 }], acknowledge: { user: 'its files are public', ports: 'the node lowers the sysctl' } },
        api: { image: IMAGE, user: 'node', ports: [{ container: 443, host: 443 }] },
      },
    });
    const rootless = compile([m], { scope: 'user' });
    expect(rootless.acknowledged.map((a) => `${a.pointer} ${a.reason}`)).toEqual(['/containers/web/ports/0 the node lowers the sysctl', '/containers/web/user its files are public']);
    expect(rootless.warnings.map((w) => w.pointer)).toEqual(['/containers/api/ports/0', '/containers/api/user']);
    // Rootful: neither warning arises, and the entries are not stale either (they would be, rootless).
    const rootful = compile([m]);
    expect(rootful.warnings).toEqual([]);
    expect(rootful.acknowledged).toEqual([]);
  });

  it('a one-shot container: Type=oneshot, RemainAfterExit=yes, Restart=no, no health gate', () => {
    const { units } = compile([lm({ id: 'job', oneshot: true, health: { cmd: ['true'], gateStart: false } })]);
    const job = container(units, 'job.container');
    expect(job.Service).toMatchObject({ Type: 'oneshot', RemainAfterExit: true, Restart: 'no' });
    expect(job.Container.Notify).toBeUndefined();
  });

  it('dependencies as Requires=/After=<dep>.service (plain and healthy alike)', () => {
    const { units, problems } = compile([
      lm({ id: 'db', health: { cmd: ['true'] } }),
      lm({ id: 'api', dependsOn: [{ app: 'db', condition: 'healthy' }] }),
      lm({ id: 'web', dependsOn: [{ app: 'api' }] }),
    ]);
    expect(problems).toEqual([]);
    expect(container(units, 'api.container').Unit).toMatchObject({ Requires: ['db.service'], After: ['db.service'] });
    expect(container(units, 'web.container').Unit).toMatchObject({ Requires: ['api.service'], After: ['api.service'] });
  });

  it('reports every bad dependency: unknown, absent, healthy without a gating health check', () => {
    const r = compile([
      lm({ id: 'db' }),
      lm({ id: 'old', state: 'absent' }),
      lm({ id: 'api', dependsOn: [{ app: 'nope' }, { app: 'old' }, { app: 'db', condition: 'healthy' }] }),
    ]);
    expect(messages(r)).toEqual([
      '/dependsOn/0/app: depends on "nope", which is not in the catalog',
      '/dependsOn/1/app: depends on "old", whose desired state is absent',
      '/dependsOn/2/condition: waits until "db" is healthy, but "db" has no health check gating its start',
    ]);
    expect(r.units).toEqual([]);
  });

  it('duplicate ids and clashing unit names are problems', () => {
    expect(messages(compile([lm({ id: 'a' }), { file: 'manifests/a2.yaml', manifest: { id: 'a', image: IMAGE } }]))).toEqual(['/id: app id "a" is already used by manifests/a.yaml']);
    const clash = compile([lm({ id: 'y-x' }), lm({ id: 'y', containers: { x: { image: IMAGE }, z: { image: IMAGE } } })]);
    expect(messages(clash)[0]).toMatch(/^\/id: y-x\.container and y-x\.container/);
  });

  it('header sources are manifests/<file> whatever path the loader was given', () => {
    expect(sourceName('/etc/archy-quadlet/manifests/lnd.yaml')).toBe('manifests/lnd.yaml');
    expect(sourceName('./manifests/lnd.yaml')).toBe('manifests/lnd.yaml');
  });
});

describe('compileCatalog: podman version targeting', () => {
  it('memory: PodmanArgs=--memory=<bytes> before 5.5, Memory=<bytes> from 5.5', () => {
    const old = container(compile([lm({ id: 'a', memory: '128Mi' })]).units, 'a.container').Container;
    expect(old.Memory).toBeUndefined();
    expect(old.PodmanArgs).toEqual(['--memory=134217728']);
    const cur = container(compile([lm({ id: 'a', memory: '1Gi' })], { podmanVersion: '5.5.0' }).units, 'a.container').Container;
    expect(cur.Memory).toBe(1073741824);
    expect(cur.PodmanArgs).toBeUndefined();
  });

  it('escape-hatch [Container] keys: known ones pass, newer ones name their version, unknown ones are refused', () => {
    const r = compile([lm({ id: 'a', quadlet: { Container: { ShmSize: '64m', ReloadCmd: '/bin/true', Foo: 'x' }, Service: { LimitNOFILE: '4096' } } })]);
    expect(messages(r)).toEqual(['/quadlet/Container/ReloadCmd: "ReloadCmd=" was not supported until Podman v5.5', '/quadlet/Container/Foo: "Foo=" is not a Quadlet [Container] key']);
    expect(r.problems[0]!.hint).toMatch(/target is Podman 5\.4\.2/);
    const ok = compile([lm({ id: 'a', quadlet: { Container: { ReloadCmd: '/bin/true' } } })], { podmanVersion: '5.5' });
    expect(ok.problems).toEqual([]);
    expect(container(ok.units, 'a.container').raw.Container).toEqual([['ReloadCmd', '/bin/true']]);
  });

  it('escape-hatch [Install] keys are dropped when the app should not start at boot', () => {
    const c = container(compile([lm({ id: 'a', state: 'stopped', quadlet: { Install: { WantedBy: 'x.target' } } })]).units, 'a.container');
    expect(c.raw.Install).toEqual([]);
    expect(c.Install).toBeUndefined();
  });

  it('refuses an escape-hatch key that is no key name (it could start a new line or section)', () => {
    expect(messages(compile([lm({ id: 'a', quadlet: { Service: { 'X=1\n[Install]': 'y' } } })]))[0]).toMatch(/is not a unit-file key name/);
  });

  it('an unparseable or too old --podman-version is a usage error', () => {
    expect(() => compile([], { podmanVersion: 'latest' })).toThrow(UsageError);
    expect(() => compile([], { podmanVersion: '4.9.3' })).toThrow(/oldest supported target is Podman 5\.0/);
  });
});

describe('compileCatalog: values that cannot be written are problems at their field', () => {
  it('names the field of a value the quoting rules cannot carry', () => {
    const r = compile([lm({ id: 'a', description: 'ends with \\', workingDir: '"/quoted"' })]);
    expect(messages(r)).toEqual([
      '/workingDir: cannot be written into a unit file: it starts or ends with a double quote, which Quadlet strips',
      '/description: cannot be written into a unit file: it ends with a backslash, which systemd reads as a line continuation',
    ]);
  });
});

describe('compileCatalog: environment values from secrets, exports and node facts', () => {
  const exporter = lm({ id: 'bitcoin', exports: { 'rpc.host': 'bitcoin', 'rpc.password': { secret: 'bitcoin-rpc-password' } } });

  it('a literal export is an Environment= line, a secret one a podman secret of type env: the value is in no unit', () => {
    const { units, problems } = compile([
      exporter,
      lm({
        id: 'lnd',
        environment: {
          MODE: 'mainnet',
          RPC_HOST: { app: 'bitcoin', export: 'rpc.host' },
          RPC_PASS: { app: 'bitcoin', export: 'rpc.password' },
          SESSION: { secret: 'lnd-session' },
          NODE: { node: 'hostname' },
        },
      }),
    ], { node: { hostname: 'umbrel-7' } });
    expect(problems).toEqual([]);
    const lnd = container(units, 'lnd.container');
    expect(lnd.Container.Environment).toEqual([['MODE', 'mainnet'], ['RPC_HOST', 'bitcoin'], ['NODE', 'umbrel-7']]);
    expect(lnd.Container.Secret).toEqual(['archy.bitcoin-rpc-password,type=env,target=RPC_PASS', 'archy.lnd-session,type=env,target=SESSION']);
    // Taking bitcoin's values makes bitcoin a dependency (started), as if declared.
    expect(lnd.Unit).toMatchObject({ Requires: ['bitcoin.service'], After: ['bitcoin.service'] });
  });

  it('a declared dependency on the exporter wins over the implied one; an app\'s own export is no dependency', () => {
    const { units } = compile([
      lm({ ...exporter.manifest, health: { cmd: ['true'] } }),
      lm({ id: 'lnd', environment: { P: { app: 'bitcoin', export: 'rpc.password' } }, dependsOn: [{ app: 'bitcoin', condition: 'healthy' }] }),
      lm({ id: 'solo', exports: { 'x.y': 'z' }, environment: { V: { app: 'solo', export: 'x.y' } } }),
    ]);
    expect(container(units, 'lnd.container').Unit).toMatchObject({ Requires: ['bitcoin.service'], After: ['bitcoin.service'] });
    expect(container(units, 'solo.container').Unit.Requires).toBeUndefined();
    expect(container(units, 'solo.container').Container.Environment).toEqual([['V', 'z']]);
  });

  it('a node fact the node does not know is a problem where it is used', () => {
    expect(messages(compile([lm({ id: 'a', environment: { D: { node: 'domain' } } })], { node: { hostname: 'h' } }))).toEqual([
      '/environment/D/node: this node does not know its domain',
    ]);
  });
});
