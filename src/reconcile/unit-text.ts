/**
 * Pure helpers over unit-file text that the planner needs to tell a change a
 * running service would see from one only systemd's enablement sees.
 */

/**
 * The unit text without its `[Install]` section. `[Install]` only matters to
 * enablement (the generator turns `WantedBy=` into symlinks); a running
 * service never sees it, so a change there needs a daemon-reload, not a restart.
 */
export function withoutInstall(content: string): string {
  const out: string[] = [];
  let inInstall = false;
  for (const line of content.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) inInstall = header[1] === 'Install';
    if (!inInstall) out.push(line);
  }
  // Trailing blank lines left where [Install] was cut are not a change either.
  return out.join('\n').replace(/\s+$/, '\n');
}

/** Whether `line` is one of template app `appId`'s instance lines in its unit (`Wants=indexer@1.service`). */
function isInstanceWants(line: string, appId: string): boolean {
  return line.startsWith(`Wants=${appId}@`) && line.endsWith('.service');
}

/**
 * The text of template app `appId`'s unit (`<id>.network`) wanting exactly `services` (`indexer@1.service`, …): its
 * instance `Wants=` lines replaced by one line each, at the end of `[Unit]`, where the renderer prints them
 * (src/render/view-model.ts). A user's stop of one instance takes its line out, so neither the next boot nor a start
 * of the app's unit starts it; a start puts it back. Other lines are kept as they are. Pure.
 */
export function withInstanceWants(content: string, appId: string, services: readonly string[]): string {
  const lines = content.split('\n').filter((l) => !isInstanceWants(l, appId));
  const unit = lines.findIndex((l) => /^\s*\[Unit\]\s*$/.test(l));
  if (unit < 0) return content;
  let end = lines.findIndex((l, i) => i > unit && /^\s*\[[^\]]+\]\s*$/.test(l));
  if (end < 0) end = lines.length;
  while (end > unit + 1 && lines[end - 1]!.trim() === '') end--;
  lines.splice(end, 0, ...services.map((s) => `Wants=${s}`));
  return lines.join('\n');
}

/** A unit's text without the instance `Wants=` lines of template app `appId` (which instances its unit starts). */
export function withoutInstanceWants(content: string, appId: string): string {
  return content
    .split('\n')
    .filter((l) => !isInstanceWants(l, appId))
    .join('\n');
}
