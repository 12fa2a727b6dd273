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
