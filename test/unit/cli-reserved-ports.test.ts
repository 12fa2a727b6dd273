// Issue 17: the host-port check counts what the node itself binds: the daemon's own `serve --listen`, else its unit's
// address as systemd holds it (Environment, drop-ins included), and on a rootless node the user daemon's and the
// system daemon's. The systemd side is shown on the host in test/e2e/cli-daemon-address.test.ts; here the pure parts
// (systemd's Environment array, the rule) and the fallback when no manager answers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { validate } from '../../src/cli/commands/validate.js';
import { daemonFromUnit, learnReservations, unitListen } from '../../src/cli/daemon-reservations.js';
import { InvalidInputError, type Problem } from '../../src/errors.js';
import type { ReservedPort } from '../../src/manifest/checks.js';
import { loadDesired } from '../../src/reconcile/load-desired.js';
import { SYSTEM_BUS_ADDRESS } from '../../src/systemd/address.js';
import { environmentOf, splitUnbraced } from '../../src/systemd/unit-environment.js';
import type { ServiceSettings } from '../../src/systemd/unit-settings.js';

const work = mkdtempSync(join(tmpdir(), 'archy-reserved-ports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** No manager answers on it: the command falls back to the packaged addresses. */
const NO_BUS = `unix:path=${join(work, 'no-bus')}`;
const SERVE = "archy-quadlet serve (the node's API and web UI)";
const SERVE_USER = "archy-quadlet serve --user (this user's API and web UI)";

/** A catalog of one app publishing `hostIp:port`. */
function catalog(name: string, port: number, hostIp?: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'web.yaml'), `id: web\nimage: docker.io/library/nginx:1.27.4-alpine\nports:\n  - container: 80\n    host: ${port}\n${hostIp ? `    hostIp: ${hostIp}\n` : ''}`);
  return dir;
}

/** The problems a pass's load finds with `reserved` (none: []). */
async function passProblems(manifestsDir: string, reserved: readonly ReservedPort[]): Promise<string[]> {
  try {
    await loadDesired({ manifestsDir, stateDir: join(work, 'state'), reserved, createSecrets: false });
    return [];
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    return err.problems.map((p: Problem) => `${p.pointer}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
  }
}

/** A loaded daemon unit as a manager reports it. */
const unit = (over: Partial<ServiceSettings> = {}): ServiceSettings => ({
  loadState: 'loaded',
  activeState: 'active',
  unitFileState: 'enabled',
  environment: ['ARCHY_QUADLET_MANIFESTS=/etc/archy-quadlet/manifests', 'ARCHY_QUADLET_LISTEN=127.0.0.1:9471', 'ARCHY_QUADLET_OPTIONS='],
  ...over,
});

/** `address:port` of each reservation, and who. */
const summary = (rs: readonly ReservedPort[]): string[] => rs.map((r) => `${r.ip}:${r.port} ${r.what}`);

describe("systemd's Environment property", () => {
  it('is KEY=VALUE strings; a key assigned twice keeps its last value, as systemd does; values keep = and spaces; no assignment is skipped', () => {
    const env = environmentOf(['A=1', 'B=x=y', 'C=a b', 'A=2', 'D=', 'no-equals', '=v', '1X=bad name', 'É=bad']);
    expect([...env]).toEqual([['A', '2'], ['B', 'x=y'], ['C', 'a b'], ['D', '']]);
  });

  it('an unbraced $VAR is split as systemd splits it: whitespace, quotes removed, a backslash keeps the next character', () => {
    // The words the test host's systemd passed to a command for this value (test/e2e/cli-daemon-address.test.ts).
    expect(splitUnbraced(`--x 'b c' "d e" f\\ g --listen=127.0.0.1:9005`)).toEqual(['--x', 'b c', 'd e', 'f g', '--listen=127.0.0.1:9005']);
    expect(splitUnbraced(' \t a"b c"d  \'\' "x\\"y" ')).toEqual(['ab cd', '', 'x"y']);
    expect(splitUnbraced('')).toEqual([]);
    expect(splitUnbraced('--git "unbalanced rest')).toEqual(['--git', 'unbalanced rest']);
  });

  it("the daemon's address: ARCHY_QUADLET_LISTEN, unless ARCHY_QUADLET_OPTIONS has a --listen (serve takes the last)", () => {
    expect(unitListen(['ARCHY_QUADLET_LISTEN=127.0.0.1:8080', 'ARCHY_QUADLET_LISTEN=0.0.0.0:9000'])).toEqual({ listen: '0.0.0.0:9000', setting: 'ARCHY_QUADLET_LISTEN' });
    expect(unitListen(['ARCHY_QUADLET_LISTEN=127.0.0.1:9002', 'ARCHY_QUADLET_OPTIONS=--git /srv/c.git --listen 127.0.0.1:9003 --listen=[::1]:9004'])).toEqual({ listen: '[::1]:9004', setting: 'ARCHY_QUADLET_OPTIONS --listen' });
    expect(unitListen(['ARCHY_QUADLET_LISTEN=127.0.0.1:9002', 'ARCHY_QUADLET_OPTIONS=--interval 5m --listen'])).toEqual({ listen: '127.0.0.1:9002', setting: 'ARCHY_QUADLET_LISTEN' });
    expect(unitListen(['ARCHY_QUADLET_OPTIONS=--node-domain "a b" --ref main'])).toBeUndefined();
  });
});

describe('what one daemon reserves, from its unit', () => {
  const learned = { ip: '127.0.0.1', port: 9471, protocol: 'tcp' };

  it('running or enabled: its address, named by its unit, with how to move it', () => {
    expect(daemonFromUnit('system', unit())).toEqual({ reservation: { ...learned, what: "archy-quadlet.service (the node's API and web UI; its ARCHY_QUADLET_LISTEN)", hint: 'pick another host port, or move the daemon: systemctl edit archy-quadlet.service' } });
    expect(daemonFromUnit('user', unit({ activeState: 'inactive' }))).toEqual({ reservation: { ...learned, what: "archy-quadlet.service of the user's manager (this user's API and web UI; its ARCHY_QUADLET_LISTEN)", hint: 'pick another host port, or move the daemon: systemctl --user edit archy-quadlet.service' } });
    // Disabled but started by hand, or failed and enabled (systemd will start it at boot): still its address.
    expect(daemonFromUnit('system', unit({ unitFileState: 'disabled', activeState: 'activating' })).reservation?.port).toBe(9471);
    expect(daemonFromUnit('system', unit({ activeState: 'failed' })).reservation?.port).toBe(9471);
  });

  it('disabled (or masked) and not running: nothing (a rootless node disables the system daemon)', () => {
    expect(daemonFromUnit('system', unit({ unitFileState: 'disabled', activeState: 'inactive' }))).toEqual({});
    expect(daemonFromUnit('system', unit({ unitFileState: 'disabled', activeState: 'failed' }))).toEqual({});
    expect(daemonFromUnit('system', { loadState: 'masked', activeState: 'inactive', unitFileState: 'masked', environment: [] })).toEqual({});
  });

  it('no manager or no unit: the packaged address, silently; a unit whose address cannot be read: the packaged one, with a note', () => {
    const packaged = { ip: '127.0.0.1', port: 8080, protocol: 'tcp', what: SERVE, hint: 'pick another host port, or move the daemon: systemctl edit archy-quadlet.service' };
    expect(daemonFromUnit('system', undefined)).toEqual({ reservation: packaged });
    expect(daemonFromUnit('user', { loadState: 'not-found', activeState: 'inactive', unitFileState: '', environment: [] })).toEqual({
      reservation: { ip: '127.0.0.1', port: 8081, protocol: 'tcp', what: SERVE_USER, hint: 'pick another host port, or move the daemon: systemctl --user edit archy-quadlet.service' },
    });
    expect(daemonFromUnit('system', unit({ environment: ['ARCHY_QUADLET_LISTEN=127.0.0.1:80800'] }))).toEqual({
      reservation: packaged,
      note: 'archy-quadlet.service: ARCHY_QUADLET_LISTEN "127.0.0.1:80800" is no listen address; the port check assumes the packaged 127.0.0.1:8080',
    });
    expect(daemonFromUnit('user', unit({ environment: [] })).note).toBe("the user's archy-quadlet.service sets no ARCHY_QUADLET_LISTEN; the port check assumes the packaged 127.0.0.1:8081");
    expect(daemonFromUnit('system', { loadState: 'bad-setting', activeState: 'inactive', unitFileState: 'enabled', environment: [] }).note).toBe('archy-quadlet.service cannot be loaded (bad-setting); the port check assumes the packaged 127.0.0.1:8080');
  });
});

describe("the node's reservations", () => {
  /** A reader of the daemon unit: the settings each bus address answers with (absent: none answers). */
  const reader = (byAddress: Record<string, ServiceSettings>) => {
    const asked: string[] = [];
    return { asked, read: async (address: string, name: string) => (asked.push(`${address} ${name}`), byAddress[address]) };
  };

  it("rootful: the system daemon's unit on the command's bus; rootless: the user's daemon, then the system's, each from its own manager", async () => {
    const r = reader({ 'unix:path=/s': unit(), 'unix:path=/u': unit({ environment: ['ARCHY_QUADLET_LISTEN=127.0.0.1:9472'] }), [SYSTEM_BUS_ADDRESS]: unit() });
    expect(summary(await learnReservations({ manager: 'system', busAddress: 'unix:path=/s', read: r.read }))).toEqual(["127.0.0.1:9471 archy-quadlet.service (the node's API and web UI; its ARCHY_QUADLET_LISTEN)"]);
    expect(summary(await learnReservations({ manager: 'user', busAddress: 'unix:path=/u', read: r.read }))).toEqual([
      "127.0.0.1:9472 archy-quadlet.service of the user's manager (this user's API and web UI; its ARCHY_QUADLET_LISTEN)",
      "127.0.0.1:9471 archy-quadlet.service (the node's API and web UI; its ARCHY_QUADLET_LISTEN)",
    ]);
    expect(r.asked).toEqual([`unix:path=/s archy-quadlet.service`, `unix:path=/u archy-quadlet.service`, `${SYSTEM_BUS_ADDRESS} archy-quadlet.service`]);
  });

  it("rootless with the system daemon disabled: the user's alone; with nothing reachable: both packaged addresses; an address bound by both: once", async () => {
    const disabled = reader({ 'unix:path=/u': unit({ environment: ['ARCHY_QUADLET_LISTEN=127.0.0.1:8080'] }), [SYSTEM_BUS_ADDRESS]: unit({ unitFileState: 'disabled', activeState: 'inactive' }) });
    expect(summary(await learnReservations({ manager: 'user', busAddress: 'unix:path=/u', read: disabled.read }))).toEqual(["127.0.0.1:8080 archy-quadlet.service of the user's manager (this user's API and web UI; its ARCHY_QUADLET_LISTEN)"]);
    const none = reader({});
    expect(summary(await learnReservations({ manager: 'user', busAddress: 'unix:path=/u', read: none.read }))).toEqual([`127.0.0.1:8081 ${SERVE_USER}`, `127.0.0.1:8080 ${SERVE}`]);
    const same = reader({ [SYSTEM_BUS_ADDRESS]: unit({ environment: ['ARCHY_QUADLET_LISTEN=127.0.0.1:8081'] }) });
    expect(summary(await learnReservations({ manager: 'user', busAddress: 'unix:path=/u', read: same.read }))).toEqual([`127.0.0.1:8081 ${SERVE_USER}`]);
  });

  it("serve --listen is this daemon's own address: its manager is not asked; a note goes to the caller", async () => {
    const r = reader({ [SYSTEM_BUS_ADDRESS]: unit({ environment: ['ARCHY_QUADLET_LISTEN=nowhere:port'] }) });
    const notes: string[] = [];
    expect(summary(await learnReservations({ manager: 'user', busAddress: 'unix:path=/u', listen: '[::1]:9443', read: r.read, note: (l) => notes.push(l) }))).toEqual([`::1:9443 ${SERVE_USER}`, `127.0.0.1:8080 ${SERVE}`]);
    expect(r.asked).toEqual([`${SYSTEM_BUS_ADDRESS} archy-quadlet.service`]);
    expect(notes).toEqual(['archy-quadlet.service: ARCHY_QUADLET_LISTEN "nowhere:port" is no listen address; the port check assumes the packaged 127.0.0.1:8080']);
    expect(summary(await learnReservations({ manager: 'system', busAddress: 'unix:path=/s', listen: '0.0.0.0:9000', read: r.read }))).toEqual([`0.0.0.0:9000 ${SERVE}`]);
    // Node.js listens on both families on "::": every address.
    expect(summary(await learnReservations({ manager: 'system', busAddress: 'unix:path=/s', listen: '[::]:9000', read: r.read }))).toEqual([`*:9000 ${SERVE}`]);
  });

  it("rootful with the users' managers: each user's daemon seen running or enabled, named by its uid; no default for a user without one", async () => {
    const r = reader({ 'unix:path=/s': unit() });
    const users = {
      list: async () => [1000, 1001, 1002, 1003],
      read: async (uid: number) =>
        uid === 1000 ? unit({ environment: ['ARCHY_QUADLET_LISTEN=127.0.0.1:9472'] })
        : uid === 1001 ? unit({ unitFileState: 'disabled', activeState: 'inactive' })
        : uid === 1002 ? unit({ environment: ['ARCHY_QUADLET_LISTEN=bad'] })
        : undefined,
    };
    const notes: string[] = [];
    const reserved = await learnReservations({ manager: 'system', busAddress: 'unix:path=/s', read: r.read, users, note: (l) => notes.push(l) });
    expect(reserved.map((x) => `${x.ip}:${x.port} ${x.what} (${x.hint})`)).toEqual([
      "127.0.0.1:9471 archy-quadlet.service (the node's API and web UI; its ARCHY_QUADLET_LISTEN) (pick another host port, or move the daemon: systemctl edit archy-quadlet.service)",
      "127.0.0.1:9472 archy-quadlet.service of user 1000's manager (that user's API and web UI; its ARCHY_QUADLET_LISTEN) (pick another host port, or move that daemon: as user 1000, systemctl --user edit archy-quadlet.service)",
    ]);
    expect(notes).toEqual([`user 1002's archy-quadlet.service: ARCHY_QUADLET_LISTEN "bad" is no listen address; the port check leaves it out`]);
    // A rootless command does not ask other users.
    expect((await learnReservations({ manager: 'user', busAddress: 'unix:path=/u', read: reader({}).read, users })).map((x) => x.port)).toEqual([8081, 8080]);
  });

  it('a pass refuses an app on a learned address with the hint that moves the daemon, and on any address when the daemon binds all', async () => {
    const dir = catalog('pass', 9471, '127.0.0.1');
    const reserved = await learnReservations({ manager: 'system', busAddress: 'unix:path=/s', read: reader({ 'unix:path=/s': unit() }).read });
    expect(await passProblems(dir, reserved)).toEqual([
      "/ports/0/host: host port 9471/tcp is already bound by archy-quadlet.service (the node's API and web UI; its ARCHY_QUADLET_LISTEN) on 127.0.0.1:9471 (pick another host port, or move the daemon: systemctl edit archy-quadlet.service)",
    ]);
    const everywhere = await learnReservations({ manager: 'system', busAddress: 'unix:path=/s', read: reader({ 'unix:path=/s': unit({ environment: ['ARCHY_QUADLET_LISTEN=0.0.0.0:9471'] }) }).read });
    expect((await passProblems(dir, everywhere))[0]).toMatch(/^\/ports\/0\/host: host port 9471\/tcp is already bound by archy-quadlet\.service .* on 0\.0\.0\.0:9471 \(/);
    expect(await passProblems(dir, [])).toEqual([]);
  });

  it('validate with no manager to ask: the packaged addresses, rootless both', async () => {
    const dir = catalog('rootless', 8081, '127.0.0.1');
    const out = new PassThrough();
    const err = new PassThrough();
    const refused = await validate({ manifests: dir, user: true, bus: NO_BUS }, out, err).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as InvalidInputError).problems.map((p) => `${p.message} (${p.hint})`)).toEqual([`host port 8081/tcp is already bound by ${SERVE_USER} on 127.0.0.1:8081 (pick another host port, or move the daemon: systemctl --user edit archy-quadlet.service)`]);
    await expect(validate({ manifests: dir, bus: NO_BUS }, out, err)).resolves.toBeUndefined();
  });
});
