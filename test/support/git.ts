/**
 * A local git repository as a test's source of manifests.
 */
import { execFileSync } from 'node:child_process';

/**
 * `git -C repo …` as a test committer; returns its output, trimmed. Throws when git fails. The repository is trusted
 * whoever owns it (a rootless node's repository belongs to its user; git refuses another user's by default).
 */
export function gitIn(repo: string): (...args: string[]) => string {
  return (...args) =>
    execFileSync('git', ['-C', repo, '-c', `safe.directory=${repo}`, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { encoding: 'utf8' }).trim();
}
