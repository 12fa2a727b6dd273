import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { BUSYBOX_IMAGE, ROOTLESS_USER, useHost, userManager, type UserManager } from '../host/index.js';
import { QUICK_COMMAND } from '../support/apps.js';
import { userNode, type NodeUnderTest } from '../support/node.js';
import { until } from '../support/wait.js';

// Ownership in the user namespace, rootless (docs/rootless.md): the daemon (the node's user, uid 1000) writes a
// container's config, and the container's process runs as another uid (101, as lnd's or bitcoind's images do). With
// a numeric `user`, the unit maps the node's user onto it (`UserNS=keep-id:uid=101,gid=101`): the private config
// (0600: it holds the RPC password exported by the bitcoin app) is the process's own inside, and what the process
// writes under its bind (an admin macaroon, 0640) is the node user's outside — the failure of the previous system
// was the reverse: lnd's macaroon owned by a subordinate uid, unreadable by the daemon.

const host = useHost();
/** The app's data directory: where the node keeps it, handed to the node's user (docs/rootless.md, the node's set-up). */
const DATA = '/var/lib/archipelago/lnd';
let user: UserManager;
let node: NodeUnderTest;
let systemd: SystemdPort;
let work: string;
let unitDir: string;

const BITCOIN = `id: bitcoin
image: ${BUSYBOX_IMAGE}
command: [sh, -c, ${JSON.stringify(QUICK_COMMAND)}]
exports:
  rpc.host: bitcoin
  rpc.port: "8332"
  rpc.user: archy
  rpc.password: { secret: bitcoin-rpc-password }
  zmq.rawblock: tcp://bitcoin:28332
  zmq.rawtx: tcp://bitcoin:28333
`;

// The process records who it is and what it read, then writes a macaroon the way lnd does (0640), and keeps running.
const LND_COMMAND = 'id -u > /data/uid; cat /etc/lnd/lnd.conf > /data/conf-as-read; printf %s "$API_TOKEN" > /data/token-as-seen; printf mac > /data/admin.macaroon; chmod 0640 /data/admin.macaroon; touch /data/done; ' + QUICK_COMMAND;

const LND = `id: lnd
image: ${BUSYBOX_IMAGE}
command: [sh, -c, ${JSON.stringify(LND_COMMAND)}]
user: "101:101"
environment:
  # A generated secret as an environment value: a podman secret of the user's (type=env), in no unit file.
  API_TOKEN: { secret: lnd-api-token }
binds:
  - source: ${DATA}/data
    target: /data
configs:
  - template: lnd.conf.hbs
    path: ${DATA}/lnd.conf
    target: /etc/lnd/lnd.conf
dependsOn:
  - app: bitcoin
`;

beforeAll(async () => {
  user = await userManager(host);
  node = userNode(host, user);
  unitDir = await node.runUnitDir();
  work = node.tempDir('aq-rootless-own-');
  writeFileSync(join(work, 'bitcoin.yaml'), BITCOIN);
  writeFileSync(join(work, 'lnd.yaml'), LND);
  // A rootless node's set-up gives the apps' data directory to its user (here the app's own); the pass makes the
  // bind's source in it, as the user.
  await host.execOk(['install', '-d', '-o', String(ROOTLESS_USER.uid), '-g', String(ROOTLESS_USER.gid), DATA]);
  systemd = createSystemd({ address: node.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  for (const id of ['lnd', 'bitcoin']) await systemd?.stopUnit(`${id}.service`).catch(() => undefined);
  await node?.cli({ stateDir: join(work, 'state'), manifests: join(work, 'empty'), unitDir }, ['apply', '--allow-empty']).catch(() => undefined);
  await host.exec(['rm', '-rf', DATA]);
  await systemd?.close();
  await user?.close();
});

describe('rootless: files between the daemon and a container running as another uid', () => {
  it('status --json says the user manager', async () => {
    const r = await node.cli({ stateDir: join(work, 'state'), manifests: work }, ['--json', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).manager).toBe('user');
  });

  it('the unit maps the node user onto the numeric user; the app comes up', async () => {
    const r = await node.cli({ stateDir: join(work, 'state'), manifests: work, unitDir }, ['apply']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`make directory ${DATA}/data`);
    const data = statSync(node.local(`${DATA}/data`));
    expect([data.isDirectory(), data.uid]).toEqual([true, ROOTLESS_USER.uid]);
    expect(readFileSync(join(unitDir, 'lnd.container'), 'utf8')).toMatch(/^UserNS=keep-id:uid=101,gid=101$/m);
    await until('lnd active', async () => (await systemd.getUnitProperties('lnd.service')).value.activeState, (s) => s === 'active', { timeoutMs: 60_000 });
    await until('the process has written its files', () => user.exec(['test', '-e', `${DATA}/data/done`]), (x) => x.code === 0, { timeoutMs: 30_000 });
  });

  it('the config the daemon rendered is private (0600, the node user’s) and the process, uid 101, read it whole', async () => {
    const conf = node.local(`${DATA}/lnd.conf`);
    const st = statSync(conf);
    expect((st.mode & 0o777).toString(8)).toBe('600');
    expect([st.uid, st.gid]).toEqual([ROOTLESS_USER.uid, ROOTLESS_USER.gid]);
    const text = readFileSync(conf, 'utf8');
    // It holds the exported password: the reason it is private.
    const password = readFileSync(join(work, 'state', 'secrets', 'bitcoin-rpc-password'), 'utf8').trim();
    expect(password.length).toBeGreaterThan(0);
    expect(text).toContain(`bitcoind.rpcpass=${password}`);
    expect((await user.execOk(['cat', `${DATA}/data/uid`])).trim()).toBe('101');
    expect(await user.execOk(['cat', `${DATA}/data/conf-as-read`])).toBe(text);
  });

  it("a secret given as an environment value reaches the process through the user's podman secret, and no unit file or inspect shows it", async () => {
    const token = readFileSync(join(work, 'state', 'secrets', 'lnd-api-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThan(0);
    expect(await user.execOk(['cat', `${DATA}/data/token-as-seen`])).toBe(token);
    expect(readFileSync(join(unitDir, 'lnd.container'), 'utf8')).not.toContain(token);
    expect(await user.execOk(['podman', 'inspect', 'lnd'])).not.toContain(token);
    expect(await user.execOk(['podman', 'secret', 'ls', '--format', '{{.Name}}'])).toContain('lnd-api-token');
  });

  it('what the process wrote under its bind is the node user’s: the daemon reads the 0640 macaroon', async () => {
    const mac = node.local(`${DATA}/data/admin.macaroon`);
    const st = statSync(mac);
    expect([st.uid, st.gid]).toEqual([ROOTLESS_USER.uid, ROOTLESS_USER.gid]);
    expect((st.mode & 0o777).toString(8)).toBe('640');
    // Read as the node's user, without podman unshare.
    expect(await user.execOk(['cat', `${DATA}/data/admin.macaroon`])).toBe('mac');
  });
});
