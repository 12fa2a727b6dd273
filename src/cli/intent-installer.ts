/**
 * The API's install/remove for a `serve --watch` process: it records the
 * node-local install intent (the same file `archy-quadlet install|remove`
 * writes) and returns at once; the in-process watch loop sees the intent file
 * and runs a pass, which reports `installing`/`removing` through the controller.
 */
import type { Installer } from '../api/types.js';
import type { AppState, AppStatus, Controller } from '../controller/types.js';
import { NotFoundError } from '../errors.js';
import { writeInstallIntent } from '../store/state/install-intents.js';

/** What the status will be once the pass picks the intent up (the reply must not wait for it). */
function implied(status: AppStatus, next: AppState): AppStatus {
  return { ...status, state: next };
}

/** An Installer that writes intents under `stateDir` for the apps `controller` tracks. */
export function intentInstaller(stateDir: string, controller: Pick<Controller, 'get'>): Installer {
  const known = (id: string): AppStatus => {
    const status = controller.get(id);
    if (!status) throw new NotFoundError('app', id);
    return status;
  };
  return {
    async install(id) {
      const status = known(id);
      await writeInstallIntent(stateDir, id, 'present');
      return status.state === 'not-installed' ? implied(status, 'installing') : status;
    },
    async remove(id) {
      const status = known(id);
      await writeInstallIntent(stateDir, id, 'absent');
      return status.state === 'not-installed' ? status : implied(status, 'removing');
    },
  };
}
