// The reference of bench/api.mjs's SSE figure, in a process of its own: a controller (the one `serve` runs) over the
// slow apps, on its own D-Bus connection, timing systemd's StateChangeTimestamp of starting→running and
// stopping→stopped to its own state event. In the benchmark's process it raced the POSTs it was beside: systemd
// announces a stop job (JobNew, PropertiesChanged) before it answers the call, so every POST stop's 202 waited behind
// this controller's reading of those signals, and the bare StopUnit calls were made on a connection busy with them.
// Run by bench/api.mjs with an IPC channel: `node controller-probe.mjs BUS STATE_DIR ID…`. It answers
// { type: 'ready' } once tracking, and { cmd: 'report' } with { type: 'report', signal } (ms per transition).
// It exits when the parent disconnects.
const [busAddress, stateDir, ...ids] = process.argv.slice(2);
const { createSystemd } = await import('../../dist/systemd/client.js');
const { createController } = await import('../../dist/controller/controller.js');
const { appService } = await import('../../dist/naming.js');

const nowMs = () => performance.timeOrigin + performance.now();
const systemd = createSystemd({ address: busAddress });
await systemd.ready();
const controller = await createController({ systemd, stateDir, apps: ids.map((id) => ({ id, name: id, unit: appService(id) })), relistIntervalMs: 0 });
let signal = [];
controller.subscribe((e) => {
  const at = nowMs();
  const s = e.status;
  if ((e.previous === 'starting' && s.state === 'running') || (e.previous === 'stopping' && s.state === 'stopped')) signal.push(at - Date.parse(s.since));
});
process.on('message', (msg) => {
  if (msg.cmd === 'report') {
    process.send({ type: 'report', signal });
    signal = [];
  }
});
process.on('disconnect', async () => {
  await controller.close();
  await systemd.close().catch(() => undefined);
  process.exit(0);
});
process.send({ type: 'ready' });
