import { describe, expect, it } from 'vitest';
import type { ContainerSection, ContainerUnit, InstallSection, NetworkSection, NetworkUnit, ServiceSection, UnitSection } from '../../src/compile/model.js';
import { unitView } from '../../src/render/view-model.js';

// Every key of the unit model reaches the unit file. The view model lists its keys by hand, so a key the compiler
// sets and the view model does not list would be dropped without a word (UserNS was, until it was listed). Each
// section below is `Required<…>`: a key added to the model fails the type check here until it is given a value.

const container: Required<ContainerSection> = {
  Image: 'localhost/busybox:latest',
  ContainerName: 'every',
  Entrypoint: '["/bin/sh"]',
  Exec: ['sleep', '1'],
  WorkingDir: '/srv',
  User: '101:101',
  UserNS: 'keep-id:uid=101,gid=101',
  Environment: [['A', '1']],
  Secret: ['archy.s,type=env,target=S'],
  PublishPort: ['127.0.0.1:8080:80'],
  Volume: ['/var/lib/archipelago/every/data:/data'],
  Network: ['every.network'],
  HostName: 'every',
  AddHost: ['host.containers.internal:host-gateway'],
  RunInit: true,
  ShmSize: '64m',
  Ulimit: ['nofile=1024:2048'],
  AddDevice: ['/dev/fuse'],
  Tmpfs: ['/run'],
  Sysctl: [['net.core.somaxconn', '1024']],
  ReadOnly: true,
  NoNewPrivileges: true,
  AddCapability: ['NET_BIND_SERVICE'],
  DropCapability: ['ALL'],
  HealthCmd: 'true',
  HealthInterval: '30s',
  HealthTimeout: '5s',
  HealthStartPeriod: '1m',
  HealthRetries: 3,
  Notify: 'healthy',
  StopSignal: 'SIGINT',
  StopTimeout: 30,
  Memory: 1073741824,
  Label: [['org.example', 'x']],
  AutoUpdate: 'registry',
  PodmanArgs: ['--privileged'],
};
const service: Required<ServiceSection> = { Type: 'oneshot', RemainAfterExit: true, Restart: 'on-failure', TimeoutStartSec: 90, TimeoutStopSec: 40 };
const unit: Required<UnitSection> = { Description: 'every key', Requires: ['a.service'], After: ['a.service'], PartOf: ['app.service'], Wants: ['app@1.service'] };
const install: Required<InstallSection> = { WantedBy: ['multi-user.target'] };

describe('the view model', () => {
  it('prints every key of a container unit, section by section', () => {
    const u: ContainerUnit = { kind: 'container', file: 'every.container', app: 'every', sources: ['manifests/every.yaml'], Unit: unit, Container: container, Service: service, Install: install, raw: { Unit: [], Container: [], Service: [], Install: [] } };
    const keys = Object.fromEntries(unitView(u).sections.map((s) => [s.name, new Set(s.entries.map((e) => e.key))]));
    for (const [section, model] of [['Unit', unit], ['Container', container], ['Service', service], ['Install', install]] as const) {
      expect(Object.keys(model).filter((k) => !keys[section]?.has(k)), section).toEqual([]);
    }
  });

  it('prints every key of a network unit', () => {
    const network: Required<NetworkSection> = {
      NetworkName: 'lan', ServiceName: 'app', Driver: 'bridge', Subnet: ['10.90.0.0/24'], Gateway: ['10.90.0.1'], IPRange: ['10.90.0.128/25'],
      IPv6: true, Internal: true, DNS: ['10.90.0.1'], Options: ['mtu=1400'],
    };
    const u: NetworkUnit = { kind: 'network', file: 'lan.network', sources: ['manifests/every.yaml'], Unit: unit, Network: network, Install: install };
    const keys = Object.fromEntries(unitView(u).sections.map((s) => [s.name, new Set(s.entries.map((e) => e.key))]));
    for (const [section, model] of [['Unit', unit], ['Network', network], ['Install', install]] as const) {
      expect(Object.keys(model).filter((k) => !keys[section]?.has(k)), section).toEqual([]);
    }
  });
});
