/**
 * A user's stop or start, made durable across a reboot at once: the app's
 * Quadlet unit file loses its `[Install]` section on a stop (the generator then
 * enables nothing for it at the next boot) and gets it back on a start or a
 * restart. The text is exactly what the reconciler renders for the app in that
 * state, so the next pass has nothing to write. The generator reads the files
 * at boot: no daemon-reload is needed.
 *
 * Only the app's unit changes: `<id>.container`, or in an app of several
 * containers its network `<id>.network` (`ServiceName=<id>`). Each of those
 * containers keeps `[Install] WantedBy=<id>.service` in both states (the
 * renderer emits it so), so it starts only when the app does.
 * A file without our ownership header is never touched.
 */
import { join } from 'node:path';
import { BOOT_TARGET } from '../../compile/defaults.js';
import type { Intent } from '../../controller/types.js';
import { InvalidInputError } from '../../errors.js';
import { appService, DNS_LABEL, serviceOf, unitFileName } from '../../naming.js';
import { withInstanceWants, withoutInstall } from '../../reconcile/unit-text.js';
import { isOwned } from '../../render/types.js';
import { writeFileAtomic } from '../atomic-write.js';
import { readTextsIfExist } from '../fs.js';
import { appFile, stateLayout } from '../state/layout.js';
import { writeStateFile } from '../state/state-file.js';

/** Where a lifecycle call's unit file lives, and where the `[Install]` a stop took out is kept. */
export interface UnitInstallTarget {
  /** The Quadlet unit directory, e.g. `/etc/containers/systemd`. */
  unitDir: string;
  /** The state directory: `<stateDir>/install-sections/<id>.json` keeps the `[Install]` the last stop took out. */
  stateDir: string;
  /** The user manager's units, which start with `default.target` instead of `multi-user.target`. */
  user?: boolean;
}

/**
 * What {@link keepAcrossReboot} did to the unit file: `written` (rewritten atomically), `unchanged` (it already
 * said so), `missing` (no such file: nothing to keep), `not-owned` (an operator's file: left alone).
 */
export type InstallChange = 'written' | 'unchanged' | 'missing' | 'not-owned';

/** The `[Install]` a stop took out of `file`, as kept in the state directory. */
interface KeptSection {
  file: string;
  install: string;
}

const SECTION_HEADER = /^\s*\[([^\]]+)\]\s*$/;

/**
 * The `[Install]` section of a unit text, from its header line to the end of the section, ending in one newline
 * (`"[Install]\nWantedBy=multi-user.target\n"`); undefined when there is none. Pure.
 */
export function installSection(content: string): string | undefined {
  const out: string[] = [];
  let inInstall = false;
  for (const line of content.split('\n')) {
    const header = SECTION_HEADER.exec(line);
    if (header) inInstall = header[1] === 'Install';
    if (inInstall) out.push(line);
  }
  return out.length > 0 ? out.join('\n').replace(/\s+$/, '\n') : undefined;
}

/**
 * The unit text with `section` as its last section, separated by one blank line, as the template prints
 * `[Install]` after every other section; `content` unchanged when it has an `[Install]` already. Pure.
 */
export function withInstall(content: string, section: string): string {
  if (installSection(content) !== undefined) return content;
  return `${withoutInstall(content)}\n${section}`;
}

/** The `[Install]` the compiler gives a running app that sets no `quadlet.Install` keys of its own. Pure. */
export function bootInstall(user: boolean): string {
  return `[Install]\nWantedBy=${BOOT_TARGET[user ? 'user' : 'system']}\n`;
}

function keptPath(stateDir: string, id: string): string {
  return appFile(stateLayout(stateDir).installSections, id);
}

function readKept(stateDir: string, id: string): KeptSection | undefined {
  const path = keptPath(stateDir, id);
  const [text] = readTextsIfExist([path]);
  if (text === undefined) return undefined;
  let value: Partial<KeptSection> | undefined;
  try {
    value = JSON.parse(text) as Partial<KeptSection>;
  } catch {
    value = undefined;
  }
  // Whatever is put back must be one [Install] section and nothing else.
  if (typeof value?.file !== 'string' || typeof value.install !== 'string' || installSection(value.install) !== value.install || !value.install.startsWith('[Install]\n')) {
    throw new InvalidInputError([{ file: path, message: 'not a kept [Install] section ({"file", "install"})', hint: 'delete the file; the next pass renders the section' }]);
  }
  return { file: value.file, install: value.install };
}

/**
 * The file of the app's unit `<id>.service`: `<id>.container` for a one-container app, else `<id>.network` when it
 * names its service `<id>` (an app of several containers). Undefined when neither is there.
 */
function appUnitFile(unitDir: string, id: string): { file: string; content: string } | undefined {
  for (const file of [unitFileName(id, 'container'), unitFileName(id, 'network')]) {
    const [content] = readTextsIfExist([join(unitDir, file)]);
    if (content !== undefined && serviceOf(file, content) === appService(id)) return { file, content };
  }
  return undefined;
}

/**
 * Replaces `path` with `content` once every one of `first` has resolved: the new text is staged (written and fsynced
 * beside the file), renamed over it and its directory fsynced after them, so that no fsync of this file runs beside
 * theirs. A stop's intent record is one of `first` and its `fdatasync` is on the way to the stop's call: an fsync of
 * a new file beside it delayed it from 2.8 to 14.9 ms at p50 in two runs of `bench/api.mjs` minutes apart; the
 * unit file matters at the next boot only, and its two fsyncs run beside the call (issue 15, docs/performance.md,
 * "A click's writes"). When one of `first` rejects, the file is left as it was and that error is thrown. Throws the fs
 * error of the write; the file then holds its old text.
 */
async function replaceAfter(path: string, content: string, first: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(first)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  await writeFileAtomic(path, content);
}

/**
 * Makes the boot follow `intent` for app `id`: for `stopped`, rewrites the app's unit file (see `appUnitFile`) atomically
 * without its `[Install]` section (kept first in `<stateDir>/install-sections/<id>.json`); for `running`, puts
 * the section back: the one the last stop kept, else {@link bootInstall}. The result is what the reconciler
 * renders for that state, unless the app's `quadlet.Install` keys changed since the stop, or it was never
 * stopped here and has such keys: the next pass then writes them (a daemon-reload, no restart).
 * `after`: what must be durable before the unit file changes (the controller's intent record, written meanwhile);
 * when it rejects, the unit file is left as it was and its error is thrown. `wants`: for a template app, the
 * instance services its unit is to want (`indexer@1.service`, …; the others the user stopped on their own), written
 * in the same replacement (`withInstanceWants`).
 * @throws InvalidInputError for an invalid id or a corrupt kept section (naming the file); the fs error of a
 * failed read or write (the unit file then holds its old text).
 */
export async function keepAcrossReboot(
  target: UnitInstallTarget,
  id: string,
  intent: Intent,
  opts: { after?: Promise<unknown>; wants?: readonly string[] } = {},
): Promise<InstallChange> {
  if (!DNS_LABEL.test(id)) throw new InvalidInputError([{ file: target.unitDir, message: `invalid app id ${JSON.stringify(id)}`, hint: 'an app id is a DNS label' }]);
  const found = appUnitFile(target.unitDir, id);
  if (found === undefined) return 'missing';
  const { file, content } = found;
  const path = join(target.unitDir, file);
  if (!isOwned(content)) return 'not-owned';
  const after = opts.after ? [opts.after] : [];
  // A template app's unit wants exactly the instances that should run with it (issue 17: a user's stop of one).
  const wanted = opts.wants === undefined ? content : withInstanceWants(content, id, opts.wants);
  const section = installSection(wanted);
  if (section === undefined ? intent === 'stopped' : intent === 'running') {
    if (wanted === content) return 'unchanged';
    await replaceAfter(path, wanted, after);
    return 'written';
  }
  if (intent === 'stopped' && section !== undefined) {
    // Kept before the unit loses it: a crash in between leaves the section in both places, never in neither. A
    // section kept already, as it is (an earlier stop of the same unit), is durable: it is not written again (issue
    // 15: an atomic write fewer on a stop's path).
    const keptFile = keptPath(target.stateDir, id);
    const keptText = `${JSON.stringify({ file, install: section } satisfies KeptSection)}\n`;
    const kept = readTextsIfExist([keptFile])[0] === keptText ? undefined : writeStateFile(keptFile, keptText);
    await replaceAfter(path, withoutInstall(wanted), kept ? [kept, ...after] : after);
    return 'written';
  }
  const kept = readKept(target.stateDir, id);
  await replaceAfter(path, withInstall(wanted, kept?.file === file ? kept.install : bootInstall(target.user ?? false)), after);
  return 'written';
}
