/**
 * The version pass: makes compiled units fit the target podman's generator.
 * A key the target lacks is folded into `PodmanArgs=` where podman has a flag
 * for it, or reported naming the version that first supports it. Escape-hatch
 * keys are checked here too, against the same table.
 */
import type { ManifestContext } from './context.js';
import type { ContainerUnit, UnitSpec } from './model.js';
import { formatVersion, keySupport, type Version } from './podman-keys.js';

/**
 * Rewrites `units` for `target` in place: folds what it can, reports the rest.
 * @param contextOf the manifest a unit comes from (problems name it); undefined for shared units.
 */
export { DEFAULT_PODMAN_VERSION } from '../defaults.js';

export function targetVersion(units: UnitSpec[], target: Version, contextOf: (u: UnitSpec) => ManifestContext | undefined): void {
  for (const unit of units) {
    if (unit.kind !== 'container') continue;
    foldMemory(unit, target);
    const ctx = contextOf(unit);
    if (ctx) checkRawContainerKeys(unit, target, ctx);
  }
}

/** `Memory=` exists from 5.5; before, `podman run --memory=<bytes>` does the same. */
function foldMemory(unit: ContainerUnit, target: Version): void {
  const c = unit.Container;
  if (c.Memory === undefined || keySupport(target, 'Container', 'Memory').supported) return;
  c.PodmanArgs = [...(c.PodmanArgs ?? []), `--memory=${c.Memory}`];
  delete c.Memory;
}

function checkRawContainerKeys(unit: ContainerUnit, target: Version, ctx: ManifestContext): void {
  const seen = new Set<string>();
  for (const [key] of unit.raw.Container) {
    if (seen.has(key)) continue;
    seen.add(key);
    const support = keySupport(target, 'Container', key);
    if (support.supported) continue;
    const pointer = `/quadlet/Container/${key}`;
    if (support.since) {
      ctx.problem(pointer, `"${key}=" was not supported until Podman v${formatVersion(support.since)}`, `the target is Podman ${formatVersion(target)}; remove the key or target a newer podman (--podman-version)`, 'key');
    } else {
      ctx.problem(pointer, `"${key}=" is not a Quadlet [Container] key`, 'see podman-systemd.unit(5) for the keys of [Container]; systemd keys belong under Unit or Service', 'key');
    }
  }
}
