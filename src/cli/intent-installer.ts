/**
 * The API's install/remove for a `serve --watch` process: it records the
 * node-local install intent (the same file `archy-quadlet install|remove`
 * writes), shows the phase it implies (`installing`, `removing`) through the
 * controller at once, and returns without waiting for the pass. The in-process
 * watch loop sees the intent file and runs a pass, which acts on it; once that
 * pass has ended (done, failed, or skipped over an invalid catalog) the phase
 * is settled and systemd's own state shows again.
 *
 * The phase goes through the controller rather than into the answer alone: the
 * answer's `seq` says that only a later event may replace its state
 * (docs/api.md), and every later event of the app now carries the phase, so a
 * client never sees `installing → not-installed → installing` because the
 * controller re-read the not yet installed app meanwhile.
 */
import type { Installer } from '../api/types.js';
import type { AppStatus, Controller, ReconcilePhase } from '../controller/types.js';
import { NotFoundError } from '../errors.js';
import { writeInstallIntent } from '../store/state/install-intents.js';

/** The API's installer, and the hook the watch loop runs each pass inside. */
export interface IntentInstaller extends Installer {
  /**
   * Runs one look of the watch loop (`WatchOptions.aroundPass`): the phases announced before it began are cleared
   * once it has ended, whatever its outcome. A pass that installed or removed the app has set and cleared the same
   * phase itself; a clear here then changes nothing.
   */
  aroundPass(fn: () => Promise<void>): Promise<void>;
}

/** An installer that writes intents under `stateDir` for the apps `controller` tracks. Throws NotFoundError for an unknown app. */
export function intentInstaller(stateDir: string, controller: Pick<Controller, 'get' | 'setPhase'>): IntentInstaller {
  /**
   * Apps whose phase a click set and no pass begun after its intent was written has ended yet: `writing` until the
   * intent is on disk (no pass may take it yet), then `written`.
   */
  const announced = new Map<string, 'writing' | 'written'>();
  const known = (id: string): AppStatus => {
    const status = controller.get(id);
    if (!status) throw new NotFoundError('app', id);
    return status;
  };
  const announce = async (id: string, phase: ReconcilePhase): Promise<AppStatus> => {
    // Shown first, then written, then handed to the loop: a pass that begins before the intent is on disk does not
    // take (and clear) the phase of a click it cannot see.
    announced.set(id, 'writing');
    await controller.setPhase(id, phase);
    try {
      await writeInstallIntent(stateDir, id, phase === 'installing' ? 'present' : 'absent');
    } catch (err) {
      announced.delete(id);
      await controller.setPhase(id, undefined);
      throw err;
    }
    announced.set(id, 'written');
    return known(id);
  };
  return {
    async install(id) {
      const status = known(id);
      if (status.state !== 'not-installed') {
        await writeInstallIntent(stateDir, id, 'present');
        return status;
      }
      return announce(id, 'installing');
    },
    async remove(id) {
      const status = known(id);
      if (status.state === 'not-installed') {
        await writeInstallIntent(stateDir, id, 'absent');
        return status;
      }
      return announce(id, 'removing');
    },
    async aroundPass(fn) {
      const taken = [...announced].filter(([, stage]) => stage === 'written').map(([id]) => id);
      for (const id of taken) announced.delete(id);
      try {
        await fn();
      } finally {
        // An app clicked again while this pass ran (remove, then install) keeps the newer click's phase for the next pass.
        const settled = taken.filter((id) => !announced.has(id));
        await Promise.all(settled.map((id) => controller.setPhase(id, undefined).catch(() => undefined)));
      }
    },
  };
}
