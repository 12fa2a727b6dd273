// Combinations the target podman accepts in a unit but refuses when the container runs, refused at validate with the
// pointer and a hint (issue 17, "Options that are accepted but cannot work"); and the node's own listen address
// counted in the host-port check.
import { describe, expect, it } from 'vitest';
import { daemonReservation } from '../../src/manifest/checks.js';
import { loadManifests } from '../../src/manifest/load.js';

const TAGGED = 'docker.io/library/nginx:1.27.4-alpine';
const DIGEST = 'sha256:4ff102c5d78d254a6f0da062b3cf39eaf07f01eec0927fd21e219d0af8bc0591';
const SERVE = daemonReservation({ host: '127.0.0.1', port: 8080 });

/** `FILE:LINE:COL /pointer: message (hint)` of every problem of one manifest `id` with `body`. */
function problems(id: string, body: string, reserved = [SERVE]): string[] {
  return loadManifests([{ file: `manifests/${id}.yaml`, text: `id: ${id}\n${body}` }], { reserved }).problems.map((p) => `${p.line}:${p.col} ${p.pointer}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
}

describe('autoUpdate: registry', () => {
  it('the field report: a tag and a digest (podman auto-update refuses the reference)', () => {
    expect(problems('pinned', `image: ${TAGGED}@${DIGEST}\nautoUpdate: registry\n`)).toEqual([
      `3:13 /autoUpdate: podman auto-update refuses an image reference with both a tag and a digest (name the image by its tag alone (${TAGGED}), or remove autoUpdate to keep the digest pin)`,
    ]);
  });

  it('a digest alone never updates', () => {
    expect(problems('pinned', `image: docker.io/library/nginx@${DIGEST}\nautoUpdate: registry\n`)).toEqual([
      '3:13 /autoUpdate: an image pinned by digest alone never changes: auto-update would never update it (name the image by its tag alone (docker.io/library/nginx:TAG), or remove autoUpdate to keep the digest pin)',
    ]);
  });

  it('a local build or localhost image has no registry: the hint is local', () => {
    expect(problems('built', 'build: { context: /srv/src, tag: "localhost/built:1" }\nautoUpdate: registry\n')).toEqual([
      '3:13 /autoUpdate: a local build: auto-update would look for it in a registry that does not exist (use autoUpdate: local (updates when the local image changes))',
    ]);
    expect(problems('local', 'image: localhost/mine:1\nautoUpdate: registry\n')).toHaveLength(1);
  });

  it('what works is accepted: a tag alone with registry, anything with local', () => {
    expect(problems('ok', `image: ${TAGGED}\nautoUpdate: registry\n`)).toEqual([]);
    expect(problems('ok', `image: ${TAGGED}@${DIGEST}\nautoUpdate: local\n`)).toEqual([]);
    expect(problems('ok', 'build: { context: /srv/src, tag: "localhost/ok:1" }\nautoUpdate: local\n')).toEqual([]);
  });
});

describe('what needs a health check, or another network namespace (refused by podman 5.4.2 on the test host)', () => {
  it('Notify=healthy and HealthOnFailure= in the escape hatch without health', () => {
    expect(problems('a', `image: ${TAGGED}\nquadlet:\n  Container:\n    Notify: healthy\n    HealthOnFailure: restart\n`).map((p) => p.split(': ')[0])).toEqual(['5:13 /quadlet/Container/Notify', '6:22 /quadlet/Container/HealthOnFailure']);
    expect(problems('a', `image: ${TAGGED}\nhealth: { cmd: [check, now] }\nquadlet:\n  Container:\n    HealthOnFailure: restart\n`)).toEqual([]);
  });

  it('a net.* sysctl on the host\'s network, at its key; other sysctls pass', () => {
    expect(problems('a', `image: ${TAGGED}\nhostNetwork: true\nsysctls:\n  net.core.somaxconn: "1024"\n  kernel.msgmax: "65536"\n`)).toEqual([
      "5:3 /sysctls/net.core.somaxconn: net.core.somaxconn cannot be set on the host's network: podman refuses to start the container (the sysctl would change the host) (set it on the node, or remove hostNetwork)",
    ]);
  });

  it('ports on the host\'s network stay refused', () => {
    expect(problems('a', `image: ${TAGGED}\nhostNetwork: true\nports: [{ container: 80 }]\n`).map((p) => p.split(': ')[0])).toEqual(['4:1 /ports']);
  });
});

describe('the daemon\'s own listen address is a bound host port', () => {
  it('the catalog\'s lnd case: REST on 127.0.0.1:8080 clashes with serve\'s default', () => {
    expect(problems('lnd', `image: ${TAGGED}\nports:\n  - { container: 8080, hostIp: 127.0.0.1 }\n`)).toEqual([
      "4:18 /ports/0/container: host port 8080/tcp is already bound by archy-quadlet serve (the node's API and web UI) on 127.0.0.1:8080 (pick another host port, or bind the two to different host addresses)",
    ]);
  });

  it('every address clashes with it; another address, another port or udp does not; a daemon on 0.0.0.0 takes every address', () => {
    expect(problems('a', `image: ${TAGGED}\nports: [{ container: 80, host: 8080 }]\n`)).toHaveLength(1);
    expect(problems('a', `image: ${TAGGED}\nports: [{ container: 80, host: 8080, hostIp: 10.0.0.2 }, { container: 81, host: 8180 }, { container: 82, host: 8080, protocol: udp }]\n`)).toEqual([]);
    expect(problems('a', `image: ${TAGGED}\nports: [{ container: 80, host: 9000, hostIp: 10.0.0.2 }]\n`, [daemonReservation({ host: '0.0.0.0', port: 9000 })])).toHaveLength(1);
  });
});

describe('secret names are what podman accepts (podman 5.4.2 on the test host: 1-253 bytes, no "," "/" "=" or NUL)', () => {
  it.each(['books_db_pass', 'Books.DB:pass', 'a b', 'é', '-lead', "it's", '$x', '%h', 'x'.repeat(253)])('%j is accepted', (name) => {
    expect(problems('a', `image: ${TAGGED}\nsecrets: [{ name: ${JSON.stringify(name)}, env: PW }]\n`)).toEqual([]);
  });

  it.each(['a,b', 'a/b', 'a=b', '', 'x'.repeat(254), 'é'.repeat(127)])('%j is refused', (name) => {
    expect(problems('a', `image: ${TAGGED}\nsecrets: [{ name: ${JSON.stringify(name)} }]\n`).map((p) => p.split(': ')[0])).toEqual(['3:19 /secrets/0/name']);
  });

  it('the node\'s generated secrets are taken as environment values, not by their podman name', () => {
    expect(problems('a', `image: ${TAGGED}\nsecrets: [{ name: archy.db-password }]\n`)).toEqual([
      '3:19 /secrets/0/name: names starting with "archy." are the node\'s generated secrets (take one as an environment value: { secret: db-password })',
    ]);
  });
});

describe('what systemd 257 or podman 5.4.2 refuse when the unit loads or the container runs (each tried on the test host)', () => {
  it.each(['always', 'on-success'])('oneshot with restart: %s (systemd: bad-setting)', (restart) => {
    expect(problems('a', `image: ${TAGGED}\noneshot: true\nrestart: ${restart}\n`)).toEqual([
      `4:10 /restart: a one-shot container cannot have restart: ${restart}: systemd refuses to load a oneshot service with Restart=always or on-success (bad-setting) (use restart: on-failure (or "no"), or remove oneshot)`,
    ]);
  });

  it('oneshot with on-failure, and restart: always without oneshot, load', () => {
    expect(problems('a', `image: ${TAGGED}\noneshot: true\nrestart: on-failure\n`)).toEqual([]);
    expect(problems('a', `image: ${TAGGED}\nrestart: always\n`)).toEqual([]);
  });

  it('a ulimit soft above its hard (podman: "soft limit must be less than or equal to hard limit")', () => {
    expect(problems('a', `image: ${TAGGED}\nulimits:\n  nofile: { soft: 2048, hard: 1024 }\n  nproc: { soft: 10, hard: 10 }\n`)).toEqual([
      '4:19 /ulimits/nofile/soft: soft limit 2048 is above the hard limit 1024: podman refuses the container (a soft limit of at most 1024, or raise hard)',
    ]);
  });

  it('a health command with an empty program (podman makes no health check of it)', () => {
    expect(problems('a', `image: ${TAGGED}\nhealth: { cmd: ["", x] }\n`)).toEqual([
      '3:17 /health/cmd/0: the program is empty: podman then creates the container without a health check, and a gated start waits for ever (name the program to run, e.g. [pg_isready, -q])',
    ]);
  });
});

describe("volume fields podman 5.4.2's generator refuses (each run through the real generator)", () => {
  it('driver: image (the generator needs Image=, which a manifest volume has no field for)', () => {
    expect(problems('a', `image: ${TAGGED}\nvolumes: [{ name: d, target: /d, driver: image }]\n`)).toEqual([
      "3:42 /volumes/0/driver: the image driver needs the image to mount (Quadlet's Image=), which a manifest volume does not give: podman's generator refuses the unit (mount the image's files another way (a bind, or copy them in a oneshot container), or use the local driver)",
    ]);
  });

  it('type or options without device, each at its field; with device they pass; a driver of a plugin passes (the node has it or not)', () => {
    expect(problems('a', `image: ${TAGGED}\nvolumes: [{ name: d, target: /d, type: nfs4, options: "addr=10.0.0.5" }]\n`)).toEqual([
      '3:40 /volumes/0/type: type needs device: podman\'s generator refuses the unit ("key Type can\'t be used without Device") (give device (what to mount, e.g. ":/export/media" for nfs4, or "tmpfs"))',
      '3:55 /volumes/0/options: options needs device: podman\'s generator refuses the unit ("key Options can\'t be used without Device") (give type and device too (e.g. type: nfs4, device: ":/export/media"), or remove options)',
    ]);
    expect(problems('a', `image: ${TAGGED}\nvolumes: [{ name: d, target: /d, type: nfs4, device: ":/x", options: "addr=10.0.0.5" }, { name: e, target: /e, driver: nosuch }]\n`)).toEqual([]);
  });
});

describe('host addresses of a port as podman binds them (test host: 0.0.0.0 and unset are every IPv4 address, :: every IPv6 one)', () => {
  const two = (a: string, b: string) => `image: ${TAGGED}\nports: [{ container: 80, host: 9090${a} }, { container: 81, host: 9090${b} }]\n`;
  it.each([
    ['hostIp: 0.0.0.0', 'hostIp: 127.0.0.1'], ['', 'hostIp: 127.0.0.1'], ['hostIp: 0.0.0.0', ''], ['hostIp: "::"', 'hostIp: "::1"'], ['hostIp: "::1"', 'hostIp: "0:0:0:0:0:0:0:1"'],
  ])('%s and %s clash', (a, b) => {
    expect(problems('a', two(a && `, ${a}`, b && `, ${b}`)).map((p) => p.split(': ')[0]!.split(' ')[1])).toEqual(['/ports/1/host']);
  });

  it.each([['hostIp: "::"', 'hostIp: 127.0.0.1'], ['', 'hostIp: "::"'], ['hostIp: 0.0.0.0', 'hostIp: "::1"'], ['hostIp: 127.0.0.1', 'hostIp: 127.0.0.2']])('%s and %s do not', (a, b) => {
    expect(problems('a', two(a && `, ${a}`, b && `, ${b}`))).toEqual([]);
  });

  it("the daemon on 0.0.0.0 holds every IPv4 address; on :: (Node.js listens on both families there) every address", () => {
    const app = (ip: string) => `image: ${TAGGED}\nports: [{ container: 80, host: 9000, hostIp: "${ip}" }]\n`;
    expect(problems('a', app('127.0.0.1'), [daemonReservation({ host: '0.0.0.0', port: 9000 })])).toHaveLength(1);
    expect(problems('a', app('::1'), [daemonReservation({ host: '0.0.0.0', port: 9000 })])).toEqual([]);
    expect(problems('a', app('::1'), [daemonReservation({ host: '::', port: 9000 })])).toHaveLength(1);
    expect(problems('a', app('127.0.0.1'), [daemonReservation({ host: '::', port: 9000 })])).toHaveLength(1);
    expect(problems('a', `image: ${TAGGED}\nports: [{ container: 80, host: 8080, hostIp: 0.0.0.0 }]\n`)).toEqual([
      "3:32 /ports/0/host: host port 8080/tcp is already bound by archy-quadlet serve (the node's API and web UI) on 127.0.0.1:8080 (pick another host port, or bind the two to different host addresses)",
    ]);
  });
});

describe('rootless: an NFS volume', () => {
  it('validate --user warns at its type; rootful it passes', async () => {
    const { compileCatalog } = await import('../../src/compile/compile-catalog.js');
    const loaded = loadManifests([{ file: 'manifests/m.yaml', text: `id: m\nimage: ${TAGGED}\nvolumes: [{ name: d, target: /d, type: nfs4, device: ":/x", options: "addr=10.0.0.5" }]\n` }], { reserved: [] });
    const warn = (scope: 'system' | 'user') => compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope }).warnings.map((w) => `${w.pointer}: ${w.message}`);
    expect(warn('user')).toEqual(["/volumes/0/type: rootless: a user's podman mounts the volume inside its user namespace, where the kernel does not allow nfs4 mounts: the container will not start"]);
    expect(warn('system')).toEqual([]);
  });
});
