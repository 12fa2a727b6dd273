/**
 * The state directory (`--state-dir`, default `/var/lib/archy-quadlet`): what the node remembers between passes and
 * across reboots. Every path in it is named here and nowhere else.
 *
 * | entry | what lives there | mode | written by |
 * | --- | --- | --- | --- |
 * | `apps/<id>.json` | the reconciler's record of an app: the hash its services were last started with, its unit files and config paths, a failed revision and its back-off (`records.ts`) | 0644 | a pass (`src/reconcile/execute.ts`) |
 * | `last-good/<id>.json` | the exact unit and config files of the app's last healthy start, restored by a rollback (`records.ts`) | 0600 (configs may carry credentials) | a pass |
 * | `intents/<id>.json` | the user's start/stop: `{"id","intent":"running"\|"stopped","at"}`, with `"stopped": [instances]` for a template app's instances stopped on their own; two copies, one page each, the newer by `seq` (`intents.ts`) | 0644 | the controller (`start`/`stop`/`restart`, CLI or API) |
 * | `installs/<id>.json` | a node-local install/remove over the manifest's `state`: `{"id","intent":"present"\|"absent","at"}` (`install-intents.ts`) | 0644 | `install`/`remove`, the API |
 * | `declared/<id>.json` | the manifest's own `state` when the node last saw it change: `{"id","state","since"}` (`declared-states.ts`) | 0644 | a pass |
 * | `install-sections/<id>.json` | the `[Install]` section a stop took out of the app's unit: `{"file","install"}` (`src/store/node/unit-install.ts`) | 0644 | the controller's stop |
 * | `secrets/<name>` | a generated secret's value, made once and never changed (`secrets.ts`) | 0600 in a 0700 directory | a pass (first use) |
 * | `podman-secrets.json` | the digest of the value each podman secret `archy.<name>` was created with (`podman-secrets.ts`) | 0644 | a pass |
 * | `git/<sha256(url), 16 hex>/` | a git source: `repo.git` (bare cache), `checkouts/<commit>/`, `current` → the applied commit, `refs/archy/applied` in the cache (`git-source.ts`) | git's | a pass with `--git` |
 * | `source.json` | the applied revision of a git source (the rollback check's base, docs/fleet.md), a rejected or refused commit, the last fetch error (`source-state.ts`) | 0644 | a pass with `--git` |
 * | `api-token` | the API's bearer token (`token.ts`) | 0600; the directory is made 0700 | `serve` or `token`, on first use |
 * | `reconcile.lock` | the pid of the pass running now, one per state directory (`pass-lock.ts`) | 0644 | every pass, for its duration |
 *
 * Files are written atomically (`src/store/atomic-write.ts`) or created once (`src/store/fs.ts`); directories are
 * made on first write. A per-app file's name is its app id, a DNS label ({@link appFile}).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { DNS_LABEL } from '../../naming.js';

/** The paths of one state directory (absolute when `stateDir` is). Directories hold one `<id>.json` per app. */
export interface StateLayout {
  /** The state directory itself. */
  readonly root: string;
  /** `apps/`: the reconciler's app records. */
  readonly apps: string;
  /** `last-good/`: each app's files of its last healthy start. */
  readonly lastGood: string;
  /** `intents/`: the user's start/stop per app. */
  readonly intents: string;
  /** `installs/`: node-local install/remove per app. */
  readonly installs: string;
  /** `declared/`: the manifest's `state` as last seen per app. */
  readonly declared: string;
  /** `install-sections/`: the `[Install]` each app's last stop took out. */
  readonly installSections: string;
  /** `secrets/`: one file per generated secret. */
  readonly secrets: string;
  /** `podman-secrets.json`: the digests of the podman secrets a pass created. */
  readonly podmanSecrets: string;
  /** `git/`: one cache directory per git source URL. */
  readonly git: string;
  /** `source.json`: the applied revision of the git source. */
  readonly source: string;
  /** `api-token`: the API's bearer token. */
  readonly token: string;
  /** `reconcile.lock`: held for the duration of a pass. */
  readonly lock: string;
  /** `git/<first 16 hex digits of sha256(url)>`: the cache directory of the git source at `url`. */
  gitCache(url: string): string;
}

/** The layout of the state directory `stateDir`. Pure: touches nothing. */
export function stateLayout(stateDir: string): StateLayout {
  const git = join(stateDir, 'git');
  return {
    root: stateDir,
    apps: join(stateDir, 'apps'),
    lastGood: join(stateDir, 'last-good'),
    intents: join(stateDir, 'intents'),
    installs: join(stateDir, 'installs'),
    declared: join(stateDir, 'declared'),
    installSections: join(stateDir, 'install-sections'),
    secrets: join(stateDir, 'secrets'),
    podmanSecrets: join(stateDir, 'podman-secrets.json'),
    git,
    source: join(stateDir, 'source.json'),
    token: join(stateDir, 'api-token'),
    lock: join(stateDir, 'reconcile.lock'),
    gitCache: (url) => join(git, createHash('sha256').update(url).digest('hex').slice(0, 16)),
  };
}

/**
 * `<dir>/<id>.json`: app `id`'s file in one of the per-app directories of {@link StateLayout}.
 * @throws InvalidInputError naming `dir` when `id` is not a DNS label (it would name another path).
 */
export function appFile(dir: string, id: string): string {
  if (!DNS_LABEL.test(id)) throw new InvalidInputError([{ file: dir, message: `invalid app id ${JSON.stringify(id)}`, hint: 'an app id is a DNS label' }]);
  return join(dir, `${id}.json`);
}
