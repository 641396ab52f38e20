// dockerode (npm, pinned in tests/clients/package-lock.json) driving berthd: ping, version, a
// network listed, created with IPAM and labels, inspected, removed; a container created,
// started, inspected, listed and removed. Run by test_dockerode.sh with DOCKER_HOST set; prints
// PASS:/FAIL: lines.
'use strict';
const path = require('path');
const Docker = require(path.join(__dirname, '..', 'clients', 'node_modules', 'dockerode'));

const docker = new Docker({ socketPath: process.env.DOCKER_HOST.replace(/^unix:\/\//, '') });

function report(name, ok, detail) {
  console.log((ok ? 'PASS: ' : 'FAIL: ') + name + (ok || detail === undefined ? '' : ': ' + detail));
}
function eq(name, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  report(name, g === w, 'wanted ' + w + ', got ' + g);
}
// step NAME FN: awaits FN; a rejection is this check's failure, not the end of the scenario.
async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    report(name, false, (e.statusCode ? e.statusCode + ' ' : '') + (e.json && e.json.message ? e.json.message : e.message));
    return undefined;
  }
}

async function main() {
  const ping = await step('ping', () => docker.ping());
  eq('ping() answers OK', ping && ping.toString(), 'OK');
  const v = (await step('version', () => docker.version())) || {};
  report('version(): ApiVersion, MinAPIVersion, Version', /^1\.\d+$/.test(v.ApiVersion) && /^1\.\d+$/.test(v.MinAPIVersion) &&
         !!v.Version, JSON.stringify(v));

  // --- networks ---------------------------------------------------------------------------
  const before = (await step('listNetworks', () => docker.listNetworks())) || [];
  eq('listNetworks(): the default network', before.map((n) => n.Name), ['bridge']);
  const created = await step('createNetwork with IPAM and labels', () => docker.createNetwork({
    Name: 'nodenet', Driver: 'bridge', CheckDuplicate: true,
    IPAM: { Driver: 'default', Config: [{ Subnet: '172.29.0.0/24', Gateway: '172.29.0.1', IPRange: '172.29.0.64/26' }] },
    Labels: { owner: 'dockerode', tier: 'test' }, Options: { 'com.docker.network.bridge.enable_icc': 'true' },
  }));
  report('createNetwork returns the network (64 hex id)', created && /^[0-9a-f]{64}$/.test(created.id), created && created.id);
  const dup = await docker.createNetwork({ Name: 'nodenet' }).then(() => null, (e) => e);
  report('createNetwork of a taken name: 409', dup && dup.statusCode === 409, dup && dup.statusCode);

  const byLabel = (await step('listNetworks with a label filter',
    () => docker.listNetworks({ filters: { label: ['owner=dockerode'] } }))) || [];
  eq('listNetworks(filters: {label: [owner=dockerode]})', byLabel.map((n) => n.Name), ['nodenet']);
  const byName = (await step('listNetworks with a name filter (a JSON string)',
    () => docker.listNetworks({ filters: JSON.stringify({ name: { nodenet: true } }) }))) || [];
  eq('listNetworks(filters: \'{"name":{"nodenet":true}}\')', byName.map((n) => n.Name), ['nodenet']);
  const several = (await step('listNetworks with two values of one filter',
    () => docker.listNetworks({ filters: { name: ['nodenet', 'bridge'] } }))) || [];
  eq('listNetworks(filters: {name: [nodenet, bridge]}) (sorted)', several.map((n) => n.Name).sort(), ['bridge', 'nodenet']);

  const net = created && docker.getNetwork(created.id);
  const info = (net && await step('network.inspect', () => net.inspect())) || {};
  eq('inspect: Name, Driver, Scope, Internal', [info.Name, info.Driver, info.Scope, info.Internal], ['nodenet', 'bridge', 'local', false]);
  eq('inspect: IPAM', info.IPAM, { Driver: 'default', Options: {},
    Config: [{ Subnet: '172.29.0.0/24', Gateway: '172.29.0.1', IPRange: '172.29.0.64/26' }] });
  eq('inspect: Labels', info.Labels, { owner: 'dockerode', tier: 'test' });

  // --- a container on it ------------------------------------------------------------------
  const ctr = await step('createContainer', () => docker.createContainer({
    name: 'nodectr', Image: 'host', Cmd: ['sleep', '300'], Labels: { from: 'dockerode' }, Env: ['A=1'],
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { NetworkMode: 'nodenet', PortBindings: { '80/tcp': [{ HostPort: '8081' }] } },
    NetworkingConfig: { EndpointsConfig: { nodenet: { IPAMConfig: { IPv4Address: '172.29.0.70' } } } },
  }));
  report('createContainer returns the container (64 hex id)', ctr && /^[0-9a-f]{64}$/.test(ctr.id), ctr && ctr.id);
  if (ctr) await step('container.start', () => ctr.start());
  const ci = (ctr && await step('container.inspect', () => ctr.inspect())) || { State: {}, Config: {}, NetworkSettings: { Networks: {} } };
  eq('inspect: Name, State.Status, Config.Cmd, Config.Labels',
    [ci.Name, ci.State.Status, ci.Config.Cmd, ci.Config.Labels], ['/nodectr', 'running', ['sleep', '300'], { from: 'dockerode' }]);
  const ep = ci.NetworkSettings.Networks.nodenet || {};
  eq('inspect: the requested address on nodenet', ep.IPAddress, '172.29.0.70');
  eq('inspect: NetworkSettings.Ports', ci.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8081' }] });
  const listed = (await step('listContainers with filters',
    () => docker.listContainers({ filters: { label: ['from=dockerode'], network: ['nodenet'] } }))) || [];
  eq('listContainers(filters: label, network)', listed.map((c) => c.Names[0]), ['/nodectr']);
  const busy = net && await net.remove().then(() => null, (e) => e);
  report('network.remove while the container uses it: 403', busy && busy.statusCode === 403, busy && busy.statusCode);
  if (ctr) await step('container.remove({force: true})', () => ctr.remove({ force: true }));
  const gone = ctr && await ctr.inspect().then(() => null, (e) => e);
  report('after remove: inspect answers 404', gone && gone.statusCode === 404, gone && gone.statusCode);

  if (net) await step('network.remove', () => net.remove());
  const after = (await step('listNetworks', () => docker.listNetworks())) || [];
  eq('listNetworks() after remove', after.map((n) => n.Name), ['bridge']);
}

main().catch((e) => { report('the scenario ran to its end', false, e.stack); });
