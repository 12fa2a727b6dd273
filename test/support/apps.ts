/**
 * The apps the host tests run, all on the busybox image the test host imports: their shell commands, as manifests
 * (for the real pipeline) and as hand-written `.container` units (for the controller and the API alone).
 */
import { BUSYBOX_IMAGE } from '../host/image.js';

// ---- what the container runs ----------------------------------------------------------------------------------

/** Prints `started`, then exits on SIGTERM within a second (the trap runs after the current `sleep 1`). */
export const QUICK_COMMAND = 'trap "exit 0" TERM; echo started; while true; do sleep 1; done';

/** Prints `started`; on SIGTERM needs `seconds` to exit. */
export const slowStopCommand = (seconds: number): string => `trap "sleep ${seconds}; exit 0" TERM; echo started; while true; do sleep 1; done`;

/** Becomes healthy after `seconds`: the health checks here test for /tmp/ready. */
export const healthyAfterCommand = (seconds: number): string => `trap "exit 0" TERM; sleep ${seconds}; touch /tmp/ready; while true; do sleep 1; done`;

/** Exits 3 after `seconds`. */
export const failingCommand = (seconds: number): string => `echo about to fail; sleep ${seconds}; exit 3`;

// ---- manifests ------------------------------------------------------------------------------------------------

export interface AppManifestOptions {
  /** What `sh -c` runs; default {@link QUICK_COMMAND}. */
  command?: string;
  /** Default the busybox image. */
  image?: string;
  state?: 'running' | 'stopped' | 'absent';
  environment?: Record<string, string>;
  /** `stop.timeout`, e.g. `2s`. */
  stopTimeout?: string;
  network?: string;
  /** A health check that passes once /tmp/ready exists (see {@link healthyAfterCommand}). */
  health?: boolean;
  /** More top-level YAML, appended as it is. */
  extra?: string;
}

/** A manifest (YAML text) of app `id`. */
export function appManifest(id: string, opts: AppManifestOptions = {}): string {
  const lines = [`id: ${id}`];
  if (opts.state) lines.push(`state: ${opts.state}`);
  lines.push(`image: ${opts.image ?? BUSYBOX_IMAGE}`, `command: [sh, -c, ${JSON.stringify(opts.command ?? QUICK_COMMAND)}]`);
  if (opts.environment) lines.push('environment:', ...Object.entries(opts.environment).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`));
  if (opts.stopTimeout) lines.push('stop:', `  timeout: ${opts.stopTimeout}`);
  if (opts.network) lines.push(`networks: [${opts.network}]`);
  if (opts.health) lines.push('health:', '  cmd: [test, -f, /tmp/ready]', '  interval: 1s', '  timeout: 2s', '  startPeriod: 0s', '  retries: 2');
  return `${lines.join('\n')}\n${opts.extra ?? ''}`;
}

// ---- hand-written units ---------------------------------------------------------------------------------------

function containerUnit(description: string, container: string[], service: string[] = [], unit: string[] = []): string {
  const lines = ['[Unit]', `Description=test app: ${description}`, ...unit, '', '[Container]', ...container];
  if (service.length > 0) lines.push('', '[Service]', ...service);
  return `${lines.join('\n')}\n`;
}

const exec = (command: string): string => `Exec=sh -c '${command}'`;

/** Runs {@link QUICK_COMMAND}: stops at once. */
export const QUICK_UNIT = containerUnit('stops at once', [`Image=${BUSYBOX_IMAGE}`, exec(QUICK_COMMAND)]);

/** Runs {@link slowStopCommand}; podman's StopTimeout and systemd's TimeoutStopSec leave it the time (podman would SIGKILL after its default 10 s). */
export function slowStopUnit(seconds: number): string {
  return containerUnit(`takes ${seconds} s to stop`, [`Image=${BUSYBOX_IMAGE}`, exec(slowStopCommand(seconds)), `StopTimeout=${seconds + 40}`], [`TimeoutStopSec=${seconds + 60}`]);
}

/** Runs {@link healthyAfterCommand}; Notify=healthy keeps the unit activating until then. */
export function healthGatedUnit(seconds: number): string {
  return containerUnit(`healthy after ${seconds} s`, [`Image=${BUSYBOX_IMAGE}`, exec(healthyAfterCommand(seconds)), 'HealthCmd=test -f /tmp/ready', 'HealthInterval=1s', 'HealthStartPeriod=0s', 'Notify=healthy']);
}

/** Runs {@link failingCommand} and is not restarted: it ends `failed` (exit-code). */
export function failingUnit(seconds: number): string {
  return containerUnit(`exits 3 after ${seconds} s`, [`Image=${BUSYBOX_IMAGE}`, exec(failingCommand(seconds))], ['Restart=no']);
}

/**
 * Exits 1 a second after it starts, and systemd restarts it `restartSec` s later, for ever (`Restart=always`, no start
 * limit): a crash loop.
 */
export function crashLoopUnit(restartSec: number): string {
  return containerUnit(`exits 1, restarted every ${restartSec} s`, [`Image=${BUSYBOX_IMAGE}`, exec('echo crashing; sleep 1; exit 1')], ['Restart=always', `RestartSec=${restartSec}`], ['StartLimitIntervalSec=0']);
}

/**
 * Like {@link crashLoopUnit}, but systemd gives up after `burst` starts within 5 minutes (`StartLimitBurst=`, an
 * interval no run of it comes near, so the limit is reached however slow the host): it ends `failed`,
 * `start-limit-hit`.
 */
export function givingUpUnit(restartSec: number, burst: number): string {
  return containerUnit(`exits 1, restarted every ${restartSec} s, ${burst} starts at most`, [`Image=${BUSYBOX_IMAGE}`, exec('echo crashing; sleep 1; exit 1')], ['Restart=always', `RestartSec=${restartSec}`], ['StartLimitIntervalSec=300', `StartLimitBurst=${burst}`]);
}

/** Its image does not exist and no registry is reachable: `podman run` fails before the container is ready. */
export const MISSING_IMAGE_UNIT = containerUnit('its image is missing', ['Image=localhost/no-such-image:latest', 'Exec=true']);
