/**
 * A local git repository as a test's source of manifests.
 */
import { execFileSync } from 'node:child_process';

/** `git -C repo …` as a test committer; returns its output, trimmed. Throws when git fails. */
export function gitIn(repo: string): (...args: string[]) => string {
  return (...args) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { encoding: 'utf8' }).trim();
}
