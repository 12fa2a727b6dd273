/**
 * Unit model → the view the templates print: the header line and, per
 * section, ready `key=value` pairs in a fixed order, every value already
 * quoted (src/render/quote.ts). Templates make no decisions.
 */
import type { ContainerUnit, RawEntries, UnitSection, UnitSpec } from '../compile/model.js';
import { OWNERSHIP_MARKER } from './types.js';
import { quote, valueProblem, UnrepresentableValueError, type ValueSyntax } from './quote.js';

export interface EntryView {
  key: string;
  value: string;
}

export interface SectionView {
  name: string;
  entries: EntryView[];
}

export interface UnitView {
  header: string;
  sections: SectionView[];
}

type Val = string | number | boolean | undefined;

/** Collects the entries of one section. `podman` marks Quadlet's own groups, whose values reach podman's command line. */
class Section {
  readonly entries: EntryView[] = [];
  constructor(
    readonly name: string,
    private readonly podman: boolean,
    /** A template unit's section: `%i`/`%I` kept as the instance specifier. */
    private readonly instance = false,
  ) {}

  add(key: string, value: Val, syntax: ValueSyntax = 'value'): this {
    if (value === undefined) return this;
    const text = typeof value === 'string' ? quote(value, syntax, this.podman, this.instance) : String(value);
    this.entries.push({ key, value: text });
    return this;
  }

  each(key: string, values: readonly Val[] | undefined, syntax: ValueSyntax = 'value'): this {
    for (const v of values ?? []) this.add(key, v, syntax);
    return this;
  }

  /** `Exec=` style: one line, each element a word. */
  words(key: string, words: readonly string[] | undefined): this {
    if (words) this.entries.push({ key, value: words.map((w) => quote(w, 'word', this.podman, this.instance)).join(' ') });
    return this;
  }

  /** Escape-hatch entries: verbatim Quadlet syntax, refused only when unsafe (a control character, a trailing `\`). */
  raw(entries: RawEntries): this {
    for (const [key, value] of entries) {
      const problem = valueProblem(value, 'raw');
      if (problem) throw new UnrepresentableValueError(value, problem);
      this.entries.push({ key, value });
    }
    return this;
  }

  view(): SectionView {
    return { name: this.name, entries: this.entries };
  }
}

function unitSection(u: UnitSection): Section {
  return new Section('Unit', false)
    .add('Description', u.Description, 'raw')
    .each('Requires', u.Requires, 'raw')
    .each('After', u.After, 'raw')
    .each('PartOf', u.PartOf, 'raw')
    .each('Wants', u.Wants, 'raw');
}

function containerSections(u: ContainerUnit): Section[] {
  const c = u.Container;
  const container = new Section('Container', true, u.template === true)
    .add('Image', c.Image)
    .add('ContainerName', c.ContainerName)
    .add('Entrypoint', c.Entrypoint)
    .words('Exec', c.Exec)
    .add('WorkingDir', c.WorkingDir)
    .add('User', c.User)
    .add('UserNS', c.UserNS)
    .each('Environment', c.Environment?.map(([k, v]) => `${k}=${v}`), 'word')
    .each('Secret', c.Secret, 'word')
    .each('PublishPort', c.PublishPort, 'raw')
    .each('Volume', c.Volume, 'raw')
    .each('Network', c.Network, 'raw')
    .add('HostName', c.HostName)
    .each('AddHost', c.AddHost, 'raw')
    .add('RunInit', c.RunInit)
    .add('ShmSize', c.ShmSize)
    .each('Ulimit', c.Ulimit, 'raw')
    .each('AddDevice', c.AddDevice, 'strv')
    .each('Tmpfs', c.Tmpfs, 'raw')
    .each('Sysctl', c.Sysctl?.map(([k, v]) => `${k}=${v}`), 'strv')
    .add('ReadOnly', c.ReadOnly)
    .add('NoNewPrivileges', c.NoNewPrivileges)
    .each('AddCapability', c.AddCapability, 'strv')
    .each('DropCapability', c.DropCapability, 'strv')
    .add('HealthCmd', c.HealthCmd)
    .add('HealthInterval', c.HealthInterval)
    .add('HealthTimeout', c.HealthTimeout)
    .add('HealthStartPeriod', c.HealthStartPeriod)
    .add('HealthRetries', c.HealthRetries)
    .add('Notify', c.Notify)
    .add('StopSignal', c.StopSignal)
    .add('StopTimeout', c.StopTimeout)
    .add('Memory', c.Memory)
    .each('Label', c.Label?.map(([k, v]) => `${k}=${v}`), 'word')
    .add('AutoUpdate', c.AutoUpdate)
    .each('PodmanArgs', c.PodmanArgs, 'word')
    .raw(u.raw.Container);
  const service = new Section('Service', false)
    .add('Type', u.Service.Type, 'raw')
    .add('RemainAfterExit', u.Service.RemainAfterExit === undefined ? undefined : u.Service.RemainAfterExit ? 'yes' : 'no', 'raw')
    .add('Restart', u.Service.Restart, 'raw')
    .add('TimeoutStartSec', u.Service.TimeoutStartSec)
    .add('TimeoutStopSec', u.Service.TimeoutStopSec)
    .raw(u.raw.Service);
  const install = new Section('Install', false).each('WantedBy', u.Install?.WantedBy, 'raw').raw(u.raw.Install);
  return [unitSection(u.Unit).raw(u.raw.Unit), container, service, install];
}

function kindSections(u: UnitSpec): Section[] {
  switch (u.kind) {
    case 'container':
      return containerSections(u);
    case 'network':
      return [
        unitSection(u.Unit),
        new Section('Network', true)
          .add('NetworkName', u.Network.NetworkName)
          .add('ServiceName', u.Network.ServiceName)
          .add('Driver', u.Network.Driver)
          .each('Subnet', u.Network.Subnet)
          .each('Gateway', u.Network.Gateway)
          .each('IPRange', u.Network.IPRange)
          .add('IPv6', u.Network.IPv6)
          .add('Internal', u.Network.Internal)
          .each('DNS', u.Network.DNS)
          .each('Options', u.Network.Options, 'word'),
        new Section('Install', false).each('WantedBy', u.Install?.WantedBy, 'raw'),
      ];
    case 'volume':
      return [
        unitSection(u.Unit),
        new Section('Volume', true)
          .add('VolumeName', u.Volume.VolumeName)
          .add('Driver', u.Volume.Driver)
          .add('Type', u.Volume.Type)
          .add('Device', u.Volume.Device)
          .add('Options', u.Volume.Options),
      ];
    case 'build':
      return [
        unitSection(u.Unit),
        new Section('Build', true)
          .add('ImageTag', u.Build.ImageTag)
          .add('SetWorkingDirectory', u.Build.SetWorkingDirectory)
          .add('File', u.Build.File),
      ];
  }
}

/** The ownership header: `# Managed by archy-quadlet; do not edit. source: manifests/lnd.yaml`. */
export function ownershipHeader(sources: readonly string[]): string {
  const header = `${OWNERSHIP_MARKER}; do not edit. source: ${sources.join(', ')}`;
  const problem = valueProblem(header, 'word');
  if (problem) throw new UnrepresentableValueError(header, problem);
  return header;
}

/**
 * The view of one unit; sections without entries are left out.
 * @throws UnrepresentableValueError for a value no quoting can write (the compiler reports these first).
 */
export function unitView(u: UnitSpec): UnitView {
  return {
    header: ownershipHeader(u.sources),
    sections: kindSections(u)
      .map((s) => s.view())
      .filter((s) => s.entries.length > 0),
  };
}
