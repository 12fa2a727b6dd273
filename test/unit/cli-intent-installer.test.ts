import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { intentInstaller } from '../../src/cli/intent-installer.js';
import type { AppState, AppStatus, ReconcilePhase } from '../../src/controller/types.js';
import { readInstallIntents } from '../../src/store/state/install-intents.js';

/** A controller holding one state per app and the phase set over it, recording every call in order. */
function fakeController(states: Record<string, AppState>) {
  const phases = new Map<string, ReconcilePhase>();
  const calls: string[] = [];
  return {
    calls,
    phases,
    get(id: string): AppStatus | undefined {
      const state = states[id];
      if (state === undefined) return undefined;
      return { id, name: id, unit: `${id}.service`, state: phases.get(id) ?? state } as AppStatus;
    },
    async setPhase(id: string, phase: ReconcilePhase | undefined) {
      calls.push(`phase ${id} ${phase ?? 'cleared'}`);
      if (phase) phases.set(id, phase);
      else phases.delete(id);
    },
  };
}

const dirs: string[] = [];
const stateDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'aq-intent-installer-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('intentInstaller: the API install/remove of serve --watch', () => {
  it('install of a not-installed app: the controller shows installing before the intent is written; the answer is the controller’s status', async () => {
    const dir = stateDir();
    const controller = fakeController({ web: 'not-installed' });
    const installer = intentInstaller(dir, controller);
    const status = await installer.install('web');
    expect(status.state).toBe('installing');
    expect(controller.calls).toEqual(['phase web installing']);
    expect((await readInstallIntents(dir)).get('web')).toBe('present');
  });

  it('the phase lasts until a pass begun after the click has ended, whatever the pass did', async () => {
    const controller = fakeController({ web: 'not-installed' });
    const installer = intentInstaller(stateDir(), controller);
    let inPass: string | undefined;
    // A pass already running when the click comes in cannot have read its intent: it leaves the phase alone.
    await installer.aroundPass(async () => {
      await installer.install('web');
      inPass = controller.get('web')!.state;
    });
    expect(inPass).toBe('installing');
    expect(controller.get('web')!.state).toBe('installing');
    // The next pass fails (say, systemd went away): the phase is settled all the same.
    await expect(installer.aroundPass(async () => Promise.reject(new Error('bus gone')))).rejects.toThrow('bus gone');
    expect(controller.get('web')!.state).toBe('not-installed');
    expect(controller.calls).toEqual(['phase web installing', 'phase web cleared']);
    // A pass with nothing announced settles nothing.
    await installer.aroundPass(async () => {});
    expect(controller.calls).toHaveLength(2);
  });

  it('a click that comes in while the pass of an earlier click is ending keeps its phase until the next pass', async () => {
    const states: Record<string, AppState> = { web: 'running' };
    const controller = fakeController(states);
    const installer = intentInstaller(stateDir(), controller);
    await installer.remove('web');
    await installer.aroundPass(async () => {
      // The pass removed the app and cleared its own phase; before the pass has ended, the user installs it again.
      states.web = 'not-installed';
      await controller.setPhase('web', undefined);
      await installer.install('web');
    });
    expect(controller.get('web')!.state).toBe('installing');
    await installer.aroundPass(async () => {});
    expect(controller.get('web')!.state).toBe('not-installed');
    expect(controller.calls).toEqual(['phase web removing', 'phase web cleared', 'phase web installing', 'phase web cleared']);
  });

  it('a pass that begins while a click is still writing its intent does not take it', async () => {
    const controller = fakeController({ web: 'not-installed' });
    let beginPass: Promise<void> | undefined;
    const slowController = {
      ...controller,
      async setPhase(id: string, phase: ReconcilePhase | undefined) {
        await controller.setPhase(id, phase);
        // The loop begins a pass right after the phase is shown, before the intent is on disk.
        if (phase) beginPass = installer.aroundPass(async () => {});
      },
    };
    const installer = intentInstaller(stateDir(), slowController);
    await installer.install('web');
    await beginPass;
    expect(controller.get('web')!.state).toBe('installing');
    await installer.aroundPass(async () => {});
    expect(controller.get('web')!.state).toBe('not-installed');
  });

  it('remove of an installed app shows removing; install of an installed app and remove of a not-installed one set no phase', async () => {
    const dir = stateDir();
    const controller = fakeController({ web: 'running', db: 'not-installed' });
    const installer = intentInstaller(dir, controller);
    expect((await installer.install('web')).state).toBe('running');
    expect((await installer.remove('db')).state).toBe('not-installed');
    expect(controller.calls).toEqual([]);
    expect((await installer.remove('web')).state).toBe('removing');
    expect(controller.calls).toEqual(['phase web removing']);
    const intents = await readInstallIntents(dir);
    expect(intents.get('web')).toBe('absent');
    expect(intents.get('db')).toBe('absent');
  });

  it('an intent that cannot be written: the phase is taken back and the error thrown', async () => {
    const controller = fakeController({ web: 'not-installed' });
    // A state directory whose path cannot exist (a NUL byte): nothing can be written under it.
    const installer = intentInstaller(join(stateDir(), 'missing', '\0bad'), controller);
    await expect(installer.install('web')).rejects.toThrow();
    expect(controller.get('web')!.state).toBe('not-installed');
    expect(controller.calls).toEqual(['phase web installing', 'phase web cleared']);
  });

  it('an unknown app is NotFound and changes nothing', async () => {
    const controller = fakeController({});
    await expect(intentInstaller(stateDir(), controller).install('nope')).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(controller.calls).toEqual([]);
  });
});
