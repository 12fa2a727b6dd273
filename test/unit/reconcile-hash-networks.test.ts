// An app's revision includes the options of the shared networks it joins (docs/reconcile.md, "Back-off": a new
// revision is tried at once), not the header that lists which apps join them.
import { describe, expect, it } from 'vitest';
import type { LoadedManifest } from '../../src/manifest/types.js';
import { buildDesired } from '../../src/reconcile/desired.js';
import type { RenderedFile } from '../../src/render/types.js';

const lnd: LoadedManifest = { file: 'manifests/lnd.yaml', manifest: { id: 'lnd', image: 'x:1' } };
const unit = (name: string, content: string, app?: string): RenderedFile => ({ name, content, sources: [], ...(app ? { app } : {}) });
const container = unit('lnd.container', '# Managed by archy-quadlet\n[Container]\nImage=x:1\nNetwork=archy.network\n', 'lnd');
const network = (header: string, options: string): RenderedFile => unit('archy.network', `# Managed by archy-quadlet; do not edit. source: ${header}\n[Network]\nNetworkName=archy\n${options}`);
const hashWith = (...shared: RenderedFile[]): string =>
  buildDesired({ manifests: [lnd], states: {}, units: [container, ...shared], startTimeoutsMs: {}, templates: {}, secrets: {} }).apps[0]!.hash;

describe("an app's revision and the shared networks it joins", () => {
  it("changes with the network's options, not with the list of apps that join it, nor with a network it does not join", () => {
    const base = hashWith(network('manifests/lnd.yaml', 'Subnet=10.89.1.0/24\n'));
    expect(hashWith(network('manifests/lnd.yaml', 'Subnet=10.89.2.0/24\n'))).not.toBe(base);
    expect(hashWith(network('manifests/bitcoin.yaml, manifests/lnd.yaml', 'Subnet=10.89.1.0/24\n'))).toBe(base);
    expect(hashWith(network('manifests/lnd.yaml', 'Subnet=10.89.1.0/24\n'), unit('other.network', '[Network]\nInternal=true\n'))).toBe(base);
  });
});
