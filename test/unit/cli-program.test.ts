import { describe, expect, test } from 'vitest';
import { defaultManifestsDir, INSTALLED_MANIFESTS_DIR } from '../../src/cli/node-context.js';
import { commandName } from '../../src/cli/program.js';

describe('the command line', () => {
  test.each([
    [['render', '--check'], 'render'],
    [['--manifests', 'm', '--bus', 'unix:path=/x', 'stop', 'lnd'], 'stop'],
    [['--state-dir=/s', '--json', 'status'], 'status'],
    [['--state-dir', 'status', 'status'], 'status'],
    [['--help'], undefined],
    [[], undefined],
  ])('the command named in %j is %s (only its module loads)', (args, name) => {
    expect(commandName(args)).toBe(name);
  });

  test('--manifests defaults to ./manifests in a catalog checkout, else to the installed node\'s directory', () => {
    expect(defaultManifestsDir((p) => p === 'manifests' || p === INSTALLED_MANIFESTS_DIR)).toBe('manifests');
    expect(defaultManifestsDir((p) => p === INSTALLED_MANIFESTS_DIR)).toBe(INSTALLED_MANIFESTS_DIR);
    // Neither: the error then names ./manifests, where a newcomer would put them.
    expect(defaultManifestsDir(() => false)).toBe('manifests');
  });
});
