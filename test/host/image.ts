import { type ExecOptions } from './test-host.js';

/** Runs a command inside the host (as root, or as the rootless user) and returns its stdout; throws unless it exits 0. */
type ExecOk = (argv: readonly string[], opts?: ExecOptions) => Promise<string>;

/** The only image on the host: imported from busybox-static inside it, since no registry is reachable. */
export const BUSYBOX_IMAGE = 'localhost/busybox:latest';

/** Busybox applets linked into the image (those this busybox build lacks are skipped). `trap` is a shell builtin. */
export const BUSYBOX_APPLETS = [
  'sh', 'sleep', 'true', 'false', 'touch', 'test', '[', 'cat', 'echo', 'printf', 'kill', 'ls', 'mkdir', 'rm', 'date',
  'env', 'grep', 'head', 'tail', 'wc', 'id', 'hostname', 'ps', 'nc', 'wget', 'httpd', 'nslookup', 'timeout', 'seq',
] as const;

/**
 * Builds {@link BUSYBOX_IMAGE} inside the host, in the podman store of whoever `execOk` runs as: a tree with /bin/busybox, its
 * applet links and a world-writable /tmp, imported with `podman import`
 * (default command `/bin/sh`). Quadlet's default `Pull=missing` then finds it
 * locally. Throws with podman's output when the import fails.
 */
export async function importBusybox(execOk: ExecOk): Promise<void> {
  const script = `
set -eu
R=$(mktemp -d /var/tmp/busybox-image.XXXXXX)
mkdir -p "$R/bin" "$R/tmp" "$R/etc" "$R/www"
chmod 1777 "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
have=$(/bin/busybox --list)
for a in ${BUSYBOX_APPLETS.map((a) => `'${a}'`).join(' ')}; do
  if printf '%s\\n' "$have" | grep -qxF -- "$a"; then ln -s busybox "$R/bin/$a"; fi
done
printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/:/bin/false\\n' > "$R/etc/passwd"
printf 'root:x:0:\\nnogroup:x:65534:\\n' > "$R/etc/group"
tar -C "$R" -c . | podman import --change 'CMD ["/bin/sh"]' - ${BUSYBOX_IMAGE} >/dev/null
rm -rf "$R"
`;
  await execOk(['sh', '-c', script], { timeoutMs: 120_000 });
}
