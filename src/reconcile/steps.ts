/**
 * Constructors for plan steps: each gives a step its `describe()` text, the one
 * wording that `apply --dry-run`, logs, the API and the tests share.
 */
import type { Intent, ReconcilePhase } from '../controller/types.js';
import type { RenderedFile } from '../render/types.js';
import type {
  AdoptStep,
  AppRecord,
  ForgetStep,
  Gate,
  HostOwner,
  MakeDirStep,
  ReloadStep,
  RemoveConfigStep,
  RemoveUnitStep,
  RestartStep,
  RollbackStep,
  StartStep,
  Step,
  StopStep,
  WriteConfigStep,
  WriteSecretStep,
  WriteUnitStep,
} from './types.js';
import { PODMAN_SECRET_PREFIX } from '../compile/defaults.js';

/** Logical prefix of unit files in step texts, whatever the node's unit directory is. */
export const UNITS_PREFIX = 'units/';

type Opt = { app?: string; phase?: ReconcilePhase; intended?: Intent; intentAt?: string };

function opt(o: Opt): Opt {
  const out: Opt = {};
  if (o.app !== undefined) out.app = o.app;
  if (o.phase !== undefined) out.phase = o.phase;
  if (o.intended !== undefined) out.intended = o.intended;
  if (o.intentAt !== undefined) out.intentAt = o.intentAt;
  return out;
}

export function writeUnit(file: RenderedFile, o: Opt = {}): WriteUnitStep {
  return { action: 'write-unit', file, ...opt(o), describe: () => `write ${UNITS_PREFIX}${file.name}` };
}

export function removeUnit(name: string, o: Opt = {}): RemoveUnitStep {
  return { action: 'remove-unit', name, ...opt(o), describe: () => `remove ${UNITS_PREFIX}${name}` };
}

/** `owner`: DesiredConfig.owner, named in the description (`write config PATH (owner 1000:1000)`). */
export function writeConfig(app: string, path: string, content: string, mode: number, phase?: ReconcilePhase, owner?: HostOwner): WriteConfigStep {
  return { action: 'write-config', path, content, mode, ...(owner ? { owner } : {}), ...opt({ phase }), app, describe: () => `write config ${path}${ownerNote(owner)}` };
}

function ownerNote(owner: HostOwner | undefined): string {
  return owner ? ` (owner ${owner.uid}${owner.gid !== undefined ? `:${owner.gid}` : ''})` : '';
}

export function removeConfig(app: string, path: string, phase?: ReconcilePhase): RemoveConfigStep {
  return { action: 'remove-config', path, ...opt({ phase }), app, describe: () => `remove config ${path}` };
}

export function makeDir(app: string, path: string, phase?: ReconcilePhase, owner?: HostOwner): MakeDirStep {
  return { action: 'make-dir', path, ...(owner ? { owner } : {}), ...opt({ phase }), app, describe: () => `make directory ${path}${ownerNote(owner)}` };
}

export function writeSecret(secret: string, digest: string): WriteSecretStep {
  const name = `${PODMAN_SECRET_PREFIX}${secret}`;
  return { action: 'write-secret', secret, name, digest, describe: () => `write podman secret ${name}` };
}

export function reload(): ReloadStep {
  return { action: 'reload', describe: () => 'daemon-reload' };
}

export function start(app: string, service: string, extra: { phase?: ReconcilePhase; gate?: Gate; record?: AppRecord; intended?: Intent; intentAt?: string } = {}): StartStep {
  const step: StartStep = { action: 'start', service, ...opt({ phase: extra.phase, intended: extra.intended, intentAt: extra.intentAt }), app, describe: () => `start ${service}` };
  if (extra.gate) step.gate = extra.gate;
  if (extra.record) step.record = extra.record;
  return step;
}

export function restart(app: string, service: string, extra: { gate?: Gate; record?: AppRecord; intended?: Intent; intentAt?: string } = {}): RestartStep {
  const step: RestartStep = { action: 'restart', service, phase: 'updating', ...opt({ intended: extra.intended, intentAt: extra.intentAt }), app, describe: () => `restart ${service}` };
  if (extra.gate) step.gate = extra.gate;
  if (extra.record) step.record = extra.record;
  return step;
}

export function stop(service: string, o: Opt = {}): StopStep {
  return { action: 'stop', service, ...opt(o), describe: () => `stop ${service}` };
}

/** `adopt` snapshots the files as last-good; for an app that is not running it only records what a start would use. */
export function adopt(app: string, record: AppRecord, running: boolean): AdoptStep {
  return { action: 'adopt', app, record, lastGood: running, describe: () => (running ? `adopt ${app}` : `record ${app}`) };
}

export function forget(app: string): ForgetStep {
  return { action: 'forget', app, phase: 'removing', describe: () => `forget ${app}` };
}

export function rollback(app: string, service: string, reason: string, failedHash: string): RollbackStep {
  return {
    action: 'rollback',
    app,
    service,
    reason,
    failedHash,
    phase: 'updating',
    describe: () => `rollback ${app} to its last-good files and restart ${service} (${reason})`,
  };
}

/** The describe() texts of a plan, one per step. */
export function describeAll(steps: readonly Step[]): string[] {
  return steps.map((s) => s.describe());
}
