import { readFileSync, rmSync } from 'node:fs';
import { run } from './run.js';

/**
 * Removes the directory tree `dir`. A crashed debootstrap can leave `proc` or
 * `sys` mounted inside its target; those mounts are detached first (deepest
 * first), and the removal never crosses into another file system, so a
 * forgotten mount can never make it delete the machine's own /proc or /dev.
 * Throws when `dir` still holds a mount that cannot be detached.
 */
export async function removeTree(dir: string): Promise<void> {
  for (const mount of mountsUnder(dir).reverse()) {
    await run(['umount', '--lazy', mount]);
  }
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`test host: cannot unmount ${left.join(', ')}; unmount by hand, then remove ${dir}`);
  const r = await run(['rm', '-rf', '--one-file-system', dir]);
  if (r.code !== 0) rmSync(dir, { recursive: true, force: true });
}

/** Mount points at or below `dir` in this process's mount namespace, in mount order. */
function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => m !== undefined)
    .map((m) => m.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((m) => m === dir || m.startsWith(prefix));
}
