// Writes the case directories of test/conformance/ (node.conf, case.json, input.jsonl,
// expected.jsonl). The expected values are computed here from the RFC 3768 / 5798 timer formulas and
// written from the sources each case cites (RFC 5798 §6.4, keepalived.conf(5), keepalived's source,
// lab runs of keepalived 2.2.7) — nothing here runs our own machine. keepalived computes timers in
// integer µs; the priorities used (256 - p divisible by 4) make that equal to the exact formula.
// Usage: node test/conformance/tools/write-cases.mjs, then review the diff of the case files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VIP = '192.0.2.100';
const skew = (p, advCs = 100) => ((256 - p) * advCs * 10) / 256; // ms
const md = (p, advCs = 100) => 3 * advCs * 10 + skew(p, advCs);
for (const p of [100, 200, 160, 120]) if (((256 - p) * 1e6 / 256) % 1 !== 0) throw new Error('skew not whole µs ' + p);

function conf({ name, prio, extra = '', version, state = 'BACKUP', comment, vip = VIP + '/24', iface = 'eth0', vrid = 51, inst = 'VI_1', globals = '' }) {
  return `# ${comment}
global_defs {
  router_id kts_${name.replace(/-/g, '_')}${globals}
}

vrrp_instance ${inst} {
  state ${state}
  interface ${iface}
  virtual_router_id ${vrid}
  priority ${prio}
  advert_int 1${version ? `\n  version ${version}` : ''}${extra}
  virtual_ipaddress {
    ${vip}
  }
}
`;
}
const L = (o) => JSON.stringify(o);
class Case {
  constructor(name, spec) { this.name = name; this.spec = spec; this.inp = []; this.exp = []; }
  input(input, instance = 'VI_1', extra = {}) { this.inp.push(L({ ...extra, instance, input })); return this; }
  packet(at, packet, instance = 'VI_1') { this.inp.push(L({ instance, at, packet })); return this; }
  raw(o) { this.inp.push(L(o)); return this; }
  e(o) { this.exp.push(L(o)); return this; }
  comment(text) { this.exp.push('// ' + text); return this; }
  icomment(text) { this.inp.push('// ' + text); return this; }
  write(files) {
    const dir = join(ROOT, this.name);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    writeFileSync(join(dir, 'case.json'), JSON.stringify(this.spec, null, 2) + '\n');
    writeFileSync(join(dir, 'input.jsonl'), this.inp.join('\n') + '\n');
    writeFileSync(join(dir, 'expected.jsonl'), this.exp.join('\n') + '\n');
  }
}
const adv = (prio, { version = 2, vrid = 51, cs = 100, addresses = [VIP] } = {}) => ({ type: 'sendAdvert', version, vrid, priority: prio, maxAdverIntCs: cs, addresses });
const inAdv = (at, src, priority, { cs = 100, addresses = [VIP] } = {}) => ({ type: 'advert', at, src, priority, maxAdverIntCs: cs, addresses });
const timer = (at, t) => ({ type: 'timer', at, timer: t });

function startupExp(c, prio, { inst = 'VI_1', vip = VIP, codes = 'startup' } = {}) {
  c.e({ at: 0, instance: inst, transition: { from: 'INIT', to: 'BACKUP', reason: { code: codes } } });
  c.e({ at: 0, instance: inst, action: { type: 'notify', state: 'BACKUP', priority: prio } });
  // keepalived removes stale VIPs when it starts an instance (vrrp_restore_interface at init; lab log "removing VIPs."): allowed, not required.
  c.e({ at: 0, instance: inst, action: { type: 'removeVips', addresses: [vip] }, optional: true });
}
function masterExp(c, at, prio, reason, { inst = 'VI_1', vip = VIP, version = 2, vrid = 51, from = 'BACKUP' } = {}) {
  c.e({ at, instance: inst, transition: { from, to: 'MASTER', reason } });
  c.e({ at, instance: inst, action: adv(prio, { version, vrid, addresses: [vip] }) });
  c.e({ at, instance: inst, action: { type: 'addVips', addresses: [vip] } });
  c.e({ at, instance: inst, action: { type: 'sendGarp', addresses: [vip], repeat: 5 } });
  c.e({ at, instance: inst, action: { type: 'notify', state: 'MASTER', priority: prio } });
}

const stepDownAdvertNote = 'keepalived sends one advert at its own priority before yielding only with higher_prio_send_advert (default off); keepalived-ts may send it by default as its split-brain mechanism (issue 3), so it is allowed, not required';
function stepDownAdvert(c, at, prio) {
  c.comment(stepDownAdvertNote);
  c.e({ at, instance: 'VI_1', action: adv(prio), optional: true });
}
const S = {
  init: 'RFC 5798 §6.4.1 (Initialize: a non-owner sets Master_Down_Timer to Master_Down_Interval and goes Backup)',
  backup: 'RFC 5798 §6.4.2 (Backup: Master_Down_Timer fires → send an ADVERTISEMENT, broadcast gratuitous ARP, go Master; ADVERTISEMENT with priority >= local or Preempt_Mode False → reset Master_Down_Timer, else discard)',
  master: 'RFC 5798 §6.4.3 (Master: Adver_Timer fires → send an ADVERTISEMENT; higher priority, or equal priority and greater primary address → go Backup)',
  timers: 'RFC 3768 §6.1 / RFC 5798 §6.1 (Skew_Time = (256 - Priority)/256 s; Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time)',
  garp: 'keepalived.conf(5) vrrp_garp_master_delay (default 5 s: second GARP burst after becoming MASTER) and vrrp_garp_master_repeat (default 5)',
  notify: 'keepalived.conf(5) notify / notify_master / notify_backup / notify_fault (target state and priority)',
  lab: 'keepalived 2.2.7 in a network namespace (this repo\'s lab run, 2026-11-25): non-owner logs "Entering BACKUP STATE (init)", then MASTER ~3.6 s later with 5 gratuitous ARPs',
};

// ---------------------------------------------------------------- 1 election, two routers, we win
{
  const c = new Case('election-2-we-win', { description: 'two routers start together; ours (200) times out first and becomes MASTER', primaryAddress: '192.0.2.10', sources: [S.init, S.backup, S.master, S.timers, S.garp, S.lab] });
  c.icomment('peer 192.0.2.20 has priority 100: its master-down interval (3609.375 ms) is longer than ours (3218.75 ms), so it stays silent');
  c.input({ type: 'startup', at: 0 }).input(timer(3218.75, 'masterDown')).input(timer(4218.75, 'advert')).input(timer(5218.75, 'advert'));
  startupExp(c, 200);
  c.e({ at: 0, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 3218.75 } });
  masterExp(c, 3218.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 });
  c.e({ at: 4218.75, instance: 'VI_1', action: adv(200) });
  c.e({ at: 5218.75, instance: 'VI_1', action: adv(200) });
  c.e({ at: 5218.75, instance: 'VI_1', armed: { timer: 'advert', deadline: 6218.75 } });
  c.e({ at: 5218.75, instance: 'VI_1', armed: { timer: 'garpDelay', deadline: 8218.75 } });
  c.e({ at: 5218.75, instance: 'VI_1', armedSet: ['advert', 'garpDelay'] });
  c.write({ 'node.conf': conf({ name: c.name, prio: 200, comment: 'Router under test: 192.0.2.10 on eth0, priority 200. Peer 192.0.2.20 has priority 100.' }) });
}
// ---------------------------------------------------------------- 2 election, we lose
{
  const c = new Case('election-2-we-lose', { description: 'two routers start together; the peer (200) becomes MASTER and ours (100) stays BACKUP, re-arming master-down on each advert', primaryAddress: '192.0.2.10', sources: [S.init, S.backup, S.timers] });
  c.input({ type: 'startup', at: 0 });
  for (const at of [3219, 4219, 5219]) c.input(inAdv(at, '192.0.2.20', 200));
  startupExp(c, 100);
  c.e({ at: 0, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 3609.375 } });
  c.e({ at: 3219, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 6828.375 } });
  c.e({ at: 5219, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 8828.375 } });
  c.e({ at: 5219, instance: 'VI_1', armedSet: ['masterDown'] });
  c.e({ at: 5219, instance: 'VI_1', state: 'BACKUP' });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, comment: 'Router under test: 192.0.2.10, priority 100. Peer 192.0.2.20 has priority 200.' }) });
}
// ---------------------------------------------------------------- 3 election, three routers
{
  const c = new Case('election-3-routers', { description: 'three routers (200, ours 160, 100): the highest becomes MASTER; when it dies, ours times out before the 100 one and takes over', primaryAddress: '192.0.2.10', sources: [S.init, S.backup, S.timers, 'RFC 5798 §6.1 (Skew_Time lets the highest-priority Backup transition first)'] });
  c.icomment('192.0.2.20 (200) becomes master at 3218.75; its adverts reach us 0.25 ms later. 192.0.2.30 (100) stays a silent backup.');
  c.input({ type: 'startup', at: 0 });
  for (const at of [3219, 4219, 5219]) c.input(inAdv(at, '192.0.2.20', 200));
  c.icomment('192.0.2.20 dies after its advert of 5219; ours (skew 375 ms) times out at 5219 + 3375 before 192.0.2.30 would (5219 + 3609.375)');
  c.input(timer(8594, 'masterDown')).input(timer(9594, 'advert'));
  startupExp(c, 160);
  c.e({ at: 0, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 3375 } });
  c.e({ at: 3219, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 6594 } });
  masterExp(c, 8594, 160, { code: 'masterDownTimeout', masterDownIntervalMs: 3375 });
  c.e({ at: 9594, instance: 'VI_1', action: adv(160) });
  c.write({ 'node.conf': conf({ name: c.name, prio: 160, comment: 'Router under test: 192.0.2.10, priority 160. Peers: 192.0.2.20 (200), 192.0.2.30 (100).' }) });
}
// ---------------------------------------------------------------- 4 master crash
{
  const c = new Case('master-crash', { description: 'the master (200) stops advertising; the backup (100) takes over one master-down interval after its last advert', primaryAddress: '192.0.2.10', sources: [S.backup, S.timers, 'field-notes: keepalived 2.2.7 takes over on the wire 3609.5 ms after the last advert (v2, 1 s, priority 100)'] });
  c.input({ type: 'startup', at: 0 });
  for (const at of [3219, 4219, 5219]) c.input(inAdv(at, '192.0.2.20', 200));
  c.input(timer(8828.375, 'masterDown')).input(timer(9828.375, 'advert')).input(timer(10828.375, 'advert'));
  startupExp(c, 100);
  masterExp(c, 8828.375, 100, { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375 });
  c.e({ at: 9828.375, instance: 'VI_1', action: adv(100) });
  c.e({ at: 10828.375, instance: 'VI_1', action: adv(100) });
  c.e({ at: 10828.375, instance: 'VI_1', armed: { timer: 'garpDelay', deadline: 13828.375 } });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, comment: 'Router under test: 192.0.2.10, priority 100. The master 192.0.2.20 (200) crashes.' }) });
}
// ---------------------------------------------------------------- 5 graceful stop
{
  const c = new Case('graceful-stop', { description: 'the master sends a priority-0 advert (shutdown); the backup takes over after its skew time', primaryAddress: '192.0.2.10', sources: ['RFC 5798 §6.4.2 (ADVERTISEMENT priority zero → set Master_Down_Timer to Skew_Time)', 'RFC 5798 §6.4.3 (Master shutdown: send an ADVERTISEMENT with priority zero)', S.timers, 'field-notes: keepalived 2.2.7 hands over 609.6 ms after the priority-0 advert (priority 100)'] });
  c.input({ type: 'startup', at: 0 });
  for (const at of [3219, 4219]) c.input(inAdv(at, '192.0.2.20', 200));
  c.input(inAdv(4700, '192.0.2.20', 0));
  c.input(timer(5309.375, 'masterDown')).input(timer(6309.375, 'advert'));
  startupExp(c, 100);
  c.e({ at: 4219, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 7828.375 } });
  c.e({ at: 4700, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 5309.375 } });
  masterExp(c, 5309.375, 100, { code: 'masterStopped', from: '192.0.2.20' });
  c.e({ at: 6309.375, instance: 'VI_1', action: adv(100) });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, comment: 'Router under test: 192.0.2.10, priority 100. The master 192.0.2.20 (200) stops gracefully.' }) });
}
// ---------------------------------------------------------------- 6 preempt back
{
  const c = new Case('preempt-back', { description: 'a higher-priority router (ours, 200) returns while a lower one (100) is master: it ignores the lower adverts and preempts when master-down expires', primaryAddress: '192.0.2.10', sources: [S.backup, 'keepalived.conf(5) nopreempt ("A higher priority VRRP instance will normally preempt a lower priority instance when it comes online")', 'keepalived vrrp.c vrrp_state_backup: "received lower priority advert - discarding" (the down timer is not reset)', S.timers] });
  c.input({ type: 'startup', at: 0 });
  for (const at of [500, 1500, 2500]) c.input(inAdv(at, '192.0.2.20', 100));
  c.input(timer(3218.75, 'masterDown')).input(timer(4218.75, 'advert'));
  startupExp(c, 200);
  c.e({ at: 2500, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 3218.75 } });
  c.e({ at: 2500, instance: 'VI_1', state: 'BACKUP' });
  masterExp(c, 3218.75, 200, { code: 'preempt', from: '192.0.2.20', priority: 100, ourPriority: 200 });
  c.e({ at: 4218.75, instance: 'VI_1', action: adv(200) });
  c.write({ 'node.conf': conf({ name: c.name, prio: 200, comment: 'Router under test: 192.0.2.10, priority 200 (preempt, the default). The current master 192.0.2.20 has priority 100.' }) });
}
// ---------------------------------------------------------------- 7 nopreempt
{
  const c = new Case('nopreempt', { description: 'with nopreempt, a higher-priority backup (200) does not displace a healthy lower master (100); it takes over only when that master dies', primaryAddress: '192.0.2.10', sources: ['keepalived.conf(5) nopreempt', 'RFC 5798 §6.4.2 (Preempt_Mode False → reset Master_Down_Timer on every ADVERTISEMENT)', S.timers] });
  c.input({ type: 'startup', at: 0 });
  for (const at of [500, 1500, 2500, 3500, 4500]) c.input(inAdv(at, '192.0.2.20', 100));
  c.input(timer(7718.75, 'masterDown')).input(timer(8718.75, 'advert'));
  startupExp(c, 200);
  c.e({ at: 500, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 3718.75 } });
  c.e({ at: 4500, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 7718.75 } });
  c.e({ at: 4500, instance: 'VI_1', state: 'BACKUP' });
  masterExp(c, 7718.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 });
  c.e({ at: 8718.75, instance: 'VI_1', action: adv(200) });
  c.write({ 'node.conf': conf({ name: c.name, prio: 200, extra: '\n  nopreempt', comment: 'Router under test: 192.0.2.10, priority 200, nopreempt. The master 192.0.2.20 has priority 100.' }) });
}
// ---------------------------------------------------------------- 8 preempt_delay
{
  const c = new Case('preempt-delay', {
    description: 'preempt_delay 2.5: the higher-priority router (200) preempts the lower master (100) about 2.5 s later than it would without the delay, never earlier',
    primaryAddress: '192.0.2.10',
    autoTimers: true,
    until: 6700,
    sources: [
      'keepalived.conf(5) preempt_delay: "Since it is a delay, it cannot speed up taking over as master"; with advert_int 1 the takeover that normally follows the advertisement timeout (3 × advert_int + skew) comes preempt_delay later ("approximately 5.5 seconds" for priority 128 and preempt_delay 2)',
      'keepalived vrrp.c vrrp_state_backup: lower-priority adverts reset the down timer until preempt_time (first such advert + preempt_delay) has passed; with adverts at 600..5600 ms keepalived itself takes over at 2600 + 3218.75 = 5818.75 ms',
      'Window asserted: [3218.75 + 2500, 3218.75 + 2500 + 1000 s advert interval - margin] = [5718.75, 6700]; the mechanism (down timer or a preemptDelay timer) is free',
      S.timers,
    ],
  });
  c.input({ type: 'startup', at: 0 });
  for (const at of [600, 1600, 2600, 3600, 4600, 5600]) c.input(inAdv(at, '192.0.2.20', 100));
  startupExp(c, 200);
  masterExp(c, { min: 5718.75, max: 6700 }, 200, { code: 'preempt', from: '192.0.2.20', priority: 100, ourPriority: 200 });
  c.write({ 'node.conf': conf({ name: c.name, prio: 200, extra: '\n  preempt_delay 2.5', comment: 'Router under test: 192.0.2.10, priority 200, preempt_delay 2.5 s. The master 192.0.2.20 has priority 100.' }) });
}
// ---------------------------------------------------------------- 9 owner 255
{
  const c = new Case('owner-255', { description: 'the address owner (priority 255) becomes MASTER at startup without waiting; on shutdown it sends a priority-0 advert and removes its VIPs', primaryAddress: '192.0.2.10', sources: ['RFC 5798 §6.4.1 (Priority 255: send an ADVERTISEMENT, broadcast gratuitous ARP, set Adver_Timer, go Master)', 'RFC 5798 §6.4.3 (Shutdown: cancel Adver_Timer, send an ADVERTISEMENT with Priority 0, go Initialize)', S.garp, 'keepalived.conf(5) notify_stop ("executed when stopping vrrp")', 'keepalived 2.2.7 lab run: on SIGTERM as master it logs "sent 0 priority" then "removing VIPs."'] });
  c.input({ type: 'startup', at: 0 }).input(timer(1000, 'advert')).input(timer(2000, 'advert')).input({ type: 'shutdown', at: 2500 });
  masterExp(c, 0, 255, { code: 'ownerStartup' }, { from: 'INIT' });
  c.e({ at: 0, instance: 'VI_1', armed: { timer: 'advert', deadline: 1000 } });
  c.e({ at: 1000, instance: 'VI_1', action: adv(255) });
  c.e({ at: 2000, instance: 'VI_1', action: adv(255) });
  c.e({ at: 2000, instance: 'VI_1', armed: { timer: 'garpDelay', deadline: 5000 } });
  c.e({ at: 2500, instance: 'VI_1', transition: { from: 'MASTER', to: 'STOP', reason: { code: 'shutdown' } } });
  c.e({ at: 2500, instance: 'VI_1', action: adv(0) });
  c.e({ at: 2500, instance: 'VI_1', action: { type: 'removeVips', addresses: [VIP] } });
  c.e({ at: 2500, instance: 'VI_1', action: { type: 'notify', state: 'STOP' }, partial: true });
  c.e({ at: 2500, instance: 'VI_1', armedSet: [] });
  c.write({ 'node.conf': conf({ name: c.name, prio: 255, state: 'MASTER', comment: 'Router under test: 192.0.2.10, priority 255 (address owner).' }) });
}
// ---------------------------------------------------------------- 10 equal priority, both sides
{
  const c = new Case('equal-priority-we-win', {
    description: 'both routers have priority 100 and became MASTER together; ours has the greater address (192.0.2.20): it stays MASTER, answers the other advert and refreshes ARP',
    primaryAddress: '192.0.2.20',
    sources: [
      S.master,
      'RFC 5798 §6.4.3: equal priority and a smaller sender address → discard (no transition)',
      'keepalived vrrp.c vrrp_state_master_rx: an advert with lower priority, or equal priority and a lower address, is answered with an advert unless lower_prio_no_advert, and with a GARP burst of garp_lower_prio_repeat (+ a second after garp_lower_prio_delay)',
      'keepalived.conf(5) vrrp_garp_lower_prio_repeat (default: vrrp_garp_master_repeat = 5), vrrp_garp_lower_prio_delay (default: vrrp_garp_master_delay = 5 s), vrrp_lower_prio_no_advert (default false)',
      'keepalived vrrp.c vrrp_complete_init: "if (global_data->vrrp_garp_lower_prio_rep == PARAMETER_UNSET) ... = global_data->vrrp_garp_rep"',
      'keepalived 2.2.7 lab run (two namespaces, partition healed on the winner\'s side first): the winner logs "Received advert from 192.0.2.20 with lower priority 100, ours 200, forcing new election" and sends 5 gratuitous ARPs at once',
      'keepalived vrrp_scheduler.c vrrp_dispatcher_read: "If we have sent an advert, reset the timer" (a MASTER that answered restarts its Adver_Timer)',
      'keepalived 2.2.7 lab run (tcpdump): after answering a lower-priority advert at t, the master\'s next periodic advert is at t + 1 s, not at its old phase',
    ],
  });
  c.input({ type: 'startup', at: 0 }).input(timer(3609.375, 'masterDown'));
  c.input(inAdv(3610, '192.0.2.10', 100));
  c.icomment('the advert sent in answer restarts the Adver_Timer (keepalived vrrp_dispatcher_read: "If we have sent an advert, reset the timer")');
  for (const at of [4610, 5610, 6610, 7610]) c.input(timer(at, 'advert'));
  c.input(timer(8609.375, 'garpDelay')).input(timer(8610, 'advert')).input(timer(8610, 'garpLowerPrio'));
  startupExp(c, 100);
  masterExp(c, 3609.375, 100, { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375 });
  c.e({ at: 3610, instance: 'VI_1', action: adv(100) });
  c.e({ at: 3610, instance: 'VI_1', action: { type: 'sendGarp', addresses: [VIP], repeat: 5 } });
  c.e({ at: 3610, instance: 'VI_1', state: 'MASTER' });
  c.e({ at: 3610, instance: 'VI_1', armed: { timer: 'advert', deadline: 4610 } });
  c.e({ at: 3610, instance: 'VI_1', armed: { timer: 'garpLowerPrio', deadline: 8610 } });
  for (const at of [4610, 5610, 6610, 7610]) c.e({ at, instance: 'VI_1', action: adv(100) });
  c.e({ at: 8609.375, instance: 'VI_1', action: { type: 'sendGarp', addresses: [VIP], repeat: 5 } });
  c.e({ at: 8610, instance: 'VI_1', action: adv(100) });
  c.e({ at: 8610, instance: 'VI_1', action: { type: 'sendGarp', addresses: [VIP], repeat: 5 } });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, comment: 'Router under test: 192.0.2.20, priority 100. Peer 192.0.2.10 also has priority 100.' }) });
}
{
  const c = new Case('equal-priority-we-lose', {
    description: 'both routers have priority 100 and became MASTER together; ours has the smaller address (192.0.2.10): it yields to the other on its first advert',
    primaryAddress: '192.0.2.10',
    sources: [S.master, 'RFC 5798 §6.4.3: equal priority and the sender\'s primary address greater than ours → cancel Adver_Timer, set Master_Down_Timer, go Backup', 'keepalived vrrp.c vrrp_state_leave_master (remove VIPs, notify BACKUP, down timer = 3 × adver_int + skew)', S.notify],
  });
  c.input({ type: 'startup', at: 0 }).input(timer(3609.375, 'masterDown'));
  c.input(inAdv(3610, '192.0.2.20', 100)).input(inAdv(4609.875, '192.0.2.20', 100));
  startupExp(c, 100);
  masterExp(c, 3609.375, 100, { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375 });
  c.e({ at: 3610, instance: 'VI_1', transition: { from: 'MASTER', to: 'BACKUP', reason: { code: 'higherPriorityAdvert', from: '192.0.2.20', priority: 100, ourPriority: 100 } } });
  c.e({ at: 3610, instance: 'VI_1', action: { type: 'removeVips', addresses: [VIP] } });
  c.e({ at: 3610, instance: 'VI_1', action: { type: 'notify', state: 'BACKUP', priority: 100 } });
  stepDownAdvert(c, 3610, 100);
  c.e({ at: 3610, instance: 'VI_1', armedSet: ['masterDown'] });
  c.e({ at: 3610, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 7219.375 } });
  c.e({ at: 4609.875, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 8219.25 } });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, comment: 'Router under test: 192.0.2.10, priority 100. Peer 192.0.2.20 also has priority 100.' }) });
}
// ---------------------------------------------------------------- 11 track_script weight
{
  const c = new Case('track-script-weight', {
    description: 'a weighted track_script fails on the master (160 - 60 = 100, below the peer\'s 120): the master advertises 100, the peer preempts, and ours goes BACKUP on its advert',
    primaryAddress: '192.0.2.10',
    sources: [
      'keepalived.conf(5) vrrp_script weight ("a negative weight will be subtracted from the initial priority in case of <fall> failures") and track_script ("an unspecified weight means that the default weight declared in the script will be used")',
      'keepalived vrrp_track.c vrrp_set_effective_priority: a priority change alone sends nothing; the next advert carries it',
      S.master, S.backup, S.timers,
    ],
  });
  c.input({ type: 'startup', at: 0 }).input({ type: 'script', at: 0, name: 'chk_svc', ok: true });
  c.input(timer(3375, 'masterDown')).input(timer(4375, 'advert'));
  c.input({ type: 'script', at: 5000, name: 'chk_svc', ok: false });
  for (const at of [5375, 6375, 7375]) c.input(timer(at, 'advert'));
  c.icomment('the peer (120) last reset its down timer on our priority-160 advert (4375.5): it takes over at 4375.5 + 3531.25');
  c.input(inAdv(7906.75, '192.0.2.20', 120));
  startupExp(c, 160);
  masterExp(c, 3375, 160, { code: 'masterDownTimeout', masterDownIntervalMs: 3375 });
  c.e({ at: 4375, instance: 'VI_1', action: adv(160) });
  for (const at of [5375, 6375, 7375]) c.e({ at, instance: 'VI_1', action: adv(100) });
  c.e({ at: 5000, instance: 'VI_1', state: 'MASTER' });
  c.e({ at: 7906.75, instance: 'VI_1', transition: { from: 'MASTER', to: 'BACKUP', reason: { code: 'higherPriorityAdvert', from: '192.0.2.20', priority: 120, ourPriority: 100 } } });
  c.e({ at: 7906.75, instance: 'VI_1', action: { type: 'removeVips', addresses: [VIP] } });
  c.e({ at: 7906.75, instance: 'VI_1', action: { type: 'notify', state: 'BACKUP', priority: 100 } });
  stepDownAdvert(c, 7906.75, 100);
  c.e({ at: 7906.75, instance: 'VI_1', armedSet: ['masterDown'] });
  c.e({ at: 7906.75, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 11516.125 } });
  const extra = '\n  track_script {\n    chk_svc\n  }';
  const text = conf({ name: c.name, prio: 160, extra, globals: '\n  enable_script_security\n  script_user root', comment: 'Router under test: 192.0.2.10, priority 160, tracking chk_svc (weight -60). Peer 192.0.2.20 has priority 120.' })
    .replace('vrrp_instance', 'vrrp_script chk_svc {\n  script "/bin/true"\n  interval 1\n  weight -60\n}\n\nvrrp_instance');
  c.write({ 'node.conf': text });
}
// ---------------------------------------------------------------- 12 interface down → FAULT and back
{
  const c = new Case('interface-fault', {
    description: 'a tracked interface goes down on the master: FAULT (priority-0 advert, VIPs removed); when it comes back, BACKUP, and MASTER again after master-down',
    primaryAddress: '192.0.2.10',
    sources: [
      'keepalived.conf(5) track_interface ("go to FAULT state if any of these go down if unweighted")',
      'keepalived vrrp.c vrrp_state_leave_master (wantstate FAULT: send a priority-0 advert, remove VIPs, notify FAULT) and vrrp_state_leave_fault (→ BACKUP with down timer 3 × adver_int + skew)',
      'keepalived 2.2.7 lab run (track_interface eth1 set down on a master): "Entering FAULT STATE", "sent 0 priority" with two priority-0 adverts on the wire, "removing VIPs."; link up → "Entering BACKUP STATE"',
      S.notify, S.timers,
    ],
  });
  c.input({ type: 'startup', at: 0 }).input(timer(3218.75, 'masterDown')).input(timer(4218.75, 'advert'));
  c.input({ type: 'interface', at: 5000, name: 'eth1', up: false });
  c.input({ type: 'interface', at: 6500, name: 'eth1', up: true });
  c.input(timer(9718.75, 'masterDown')).input(timer(10718.75, 'advert'));
  startupExp(c, 200);
  masterExp(c, 3218.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 });
  c.e({ at: 4218.75, instance: 'VI_1', action: adv(200) });
  c.e({ at: 5000, instance: 'VI_1', transition: { from: 'MASTER', to: 'FAULT', reason: { code: 'interfaceDown', name: 'eth1' } } });
  c.e({ at: 5000, instance: 'VI_1', action: adv(0), count: [1, 2] });
  c.e({ at: 5000, instance: 'VI_1', action: { type: 'removeVips', addresses: [VIP] } });
  c.e({ at: 5000, instance: 'VI_1', action: { type: 'notify', state: 'FAULT', priority: 200 } });
  c.e({ at: 5000, instance: 'VI_1', armedSet: [] });
  c.e({ at: 6500, instance: 'VI_1', transition: { from: 'FAULT', to: 'BACKUP', reason: { code: 'interfaceUp', name: 'eth1' } } });
  c.e({ at: 6500, instance: 'VI_1', action: { type: 'notify', state: 'BACKUP', priority: 200 } });
  c.e({ at: 6500, instance: 'VI_1', armedSet: ['masterDown'] });
  masterExp(c, 9718.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 });
  c.e({ at: 10718.75, instance: 'VI_1', action: adv(200) });
  c.write({ 'node.conf': conf({ name: c.name, prio: 200, extra: '\n  track_interface {\n    eth1\n  }', comment: 'Router under test: 192.0.2.10 on eth0, priority 200, tracking eth1 (unweighted).' }) });
}
// ---------------------------------------------------------------- 13 sync group, one failing member
{
  const c = new Case('sync-group-fault', {
    description: 'a sync group of two masters: one member\'s interface goes down, so both go FAULT together; when it comes back both go BACKUP and then MASTER together',
    primaryAddress: '192.0.2.10',
    primaryAddresses: { VI_2: '198.51.100.10' },
    sources: [
      'keepalived.conf(5) vrrp_sync_group ("for a SYNC group to run reliably, it is vital that all instances in the group are MASTER or that they are all either BACKUP or FAULT")',
      'keepalived vrrp_sync.c vrrp_sync_fault / vrrp_sync_backup / vrrp_sync_master: the other members follow the member that changed',
      'keepalived vrrp.c vrrp_state_leave_master (wantstate FAULT: priority-0 advert, VIPs removed, notify FAULT)',
      S.backup, S.timers,
    ],
  });
  c.input({ type: 'startup', at: 0 }, 'VI_1').input({ type: 'startup', at: 0 }, 'VI_2');
  c.icomment('both members time out at 3218.75; VI_1 is fed first, VI_2 follows through the sync group in the same step');
  c.input(timer(3218.75, 'masterDown'), 'VI_1');
  c.input(timer(4218.75, 'advert'), 'VI_1').input(timer(4218.75, 'advert'), 'VI_2');
  c.input({ type: 'interface', at: 5000, name: 'eth0', up: false }, 'VI_1');
  c.input({ type: 'interface', at: 6500, name: 'eth0', up: true }, 'VI_1');
  c.input(timer(9718.75, 'masterDown'), 'VI_1');
  c.input(timer(10718.75, 'advert'), 'VI_1').input(timer(10718.75, 'advert'), 'VI_2');
  const V2 = '198.51.100.100';
  startupExp(c, 200);
  c.comment('VI_2 leaves INIT for BACKUP either by its own startup or by the group (VI_1 went BACKUP first): both are keepalived\'s behaviour');
  startupExp(c, 200, { inst: 'VI_2', vip: V2, codes: ['startup', 'syncGroup'] });
  masterExp(c, 3218.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 });
  masterExp(c, 3218.75, 200, { code: 'syncGroup' }, { inst: 'VI_2', vip: V2, vrid: 52 });
  c.e({ at: 4218.75, instance: 'VI_1', action: adv(200) });
  c.e({ at: 4218.75, instance: 'VI_2', action: adv(200, { vrid: 52, addresses: [V2] }) });
  c.e({ at: 5000, instance: 'VI_1', transition: { from: 'MASTER', to: 'FAULT', reason: { code: 'interfaceDown', name: 'eth0' } } });
  c.e({ at: 5000, instance: 'VI_1', action: adv(0), count: [1, 2] });
  c.e({ at: 5000, instance: 'VI_1', action: { type: 'removeVips', addresses: [VIP] } });
  c.e({ at: 5000, instance: 'VI_1', action: { type: 'notify', state: 'FAULT', priority: 200 } });
  c.e({ at: 5000, instance: 'VI_2', transition: { from: 'MASTER', to: 'FAULT', reason: { code: 'syncGroup' } } });
  c.e({ at: 5000, instance: 'VI_2', action: adv(0, { vrid: 52, addresses: [V2] }), count: [1, 2] });
  c.e({ at: 5000, instance: 'VI_2', action: { type: 'removeVips', addresses: [V2] } });
  c.e({ at: 5000, instance: 'VI_2', action: { type: 'notify', state: 'FAULT', priority: 200 } });
  c.e({ at: 5000, instance: 'VI_1', armedSet: [] });
  c.e({ at: 5000, instance: 'VI_2', armedSet: [] });
  c.e({ at: 6500, instance: 'VI_1', transition: { from: 'FAULT', to: 'BACKUP', reason: { code: 'interfaceUp', name: 'eth0' } } });
  c.e({ at: 6500, instance: 'VI_1', action: { type: 'notify', state: 'BACKUP', priority: 200 } });
  c.e({ at: 6500, instance: 'VI_2', transition: { from: 'FAULT', to: 'BACKUP', reason: { code: 'syncGroup' } } });
  c.e({ at: 6500, instance: 'VI_2', action: { type: 'notify', state: 'BACKUP', priority: 200 } });
  c.e({ at: 6500, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 9718.75 } });
  masterExp(c, 9718.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 });
  masterExp(c, 9718.75, 200, { code: 'syncGroup' }, { inst: 'VI_2', vip: V2, vrid: 52 });
  c.e({ at: 10718.75, instance: 'VI_1', action: adv(200) });
  c.e({ at: 10718.75, instance: 'VI_2', action: adv(200, { vrid: 52, addresses: [V2] }) });
  const text = conf({ name: c.name, prio: 200, comment: 'Router under test: 192.0.2.10 on eth0 and 198.51.100.10 on eth1, both instances priority 200, in sync group VG_1.' })
    .replace('vrrp_instance', 'vrrp_sync_group VG_1 {\n  group {\n    VI_1\n    VI_2\n  }\n}\n\nvrrp_instance')
    + '\nvrrp_instance VI_2 {\n  state BACKUP\n  interface eth1\n  virtual_router_id 52\n  priority 200\n  advert_int 1\n  virtual_ipaddress {\n    198.51.100.100/24\n  }\n}\n';
  c.write({ 'node.conf': text });
}
// ---------------------------------------------------------------- 14 split brain, single node, keepalived's documented options
{
  const c = new Case('split-brain-winner-hears-loser', {
    description: 'after a partition both are MASTER; the loser\'s (100) advert reaches the winner (ours, 200) first: the winner stays MASTER and sends an advert and a GARP burst at once',
    primaryAddress: '192.0.2.10',
    sources: [
      'keepalived vrrp.c vrrp_state_master_rx: lower-priority advert → advert (unless lower_prio_no_advert) + garp_lower_prio_repeat GARPs + a second burst after garp_lower_prio_delay',
      'keepalived.conf(5) vrrp_garp_lower_prio_repeat (default: vrrp_garp_master_repeat) and vrrp_garp_lower_prio_delay (default: vrrp_garp_master_delay)',
      'keepalived 2.2.7 lab run (two namespaces, partition healed on the winner\'s side first): the winner logs "Received advert from 192.0.2.20 with lower priority 100, ours 200, forcing new election" and sends 5 gratuitous ARPs at once',
      'keepalived vrrp_scheduler.c vrrp_dispatcher_read: "If we have sent an advert, reset the timer" (a MASTER that answered restarts its Adver_Timer)',
      'keepalived 2.2.7 lab run (tcpdump): after answering a lower-priority advert at t, the master\'s next periodic advert is at t + 1 s, not at its old phase',
      'issue 3: after a heal the winner sends a GARP burst within one advert interval',
      S.master,
    ],
  });
  c.input({ type: 'startup', at: 0 }).input(timer(3218.75, 'masterDown'));
  c.icomment('the partition heals; the loser 192.0.2.20 (100), master since 3609.375 on its side, advertises');
  c.input(inAdv(3610, '192.0.2.20', 100));
  c.icomment('the advert sent in answer restarts the Adver_Timer (keepalived vrrp_dispatcher_read: "If we have sent an advert, reset the timer")');
  for (const at of [4610, 5610, 6610, 7610]) c.input(timer(at, 'advert'));
  c.input(timer(8218.75, 'garpDelay')).input(timer(8610, 'advert')).input(timer(8610, 'garpLowerPrio'));
  startupExp(c, 200);
  masterExp(c, 3218.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 });
  c.e({ at: 3610, instance: 'VI_1', action: adv(200) });
  c.e({ at: 3610, instance: 'VI_1', action: { type: 'sendGarp', addresses: [VIP], repeat: 5 } });
  c.e({ at: 3610, instance: 'VI_1', armed: { timer: 'advert', deadline: 4610 } });
  for (const at of [4610, 5610, 6610, 7610]) c.e({ at, instance: 'VI_1', action: adv(200) });
  c.e({ at: 8218.75, instance: 'VI_1', action: { type: 'sendGarp', addresses: [VIP], repeat: 5 } });
  c.e({ at: 8610, instance: 'VI_1', action: adv(200) });
  c.e({ at: 8610, instance: 'VI_1', action: { type: 'sendGarp', addresses: [VIP], repeat: 5 } });
  c.write({ 'node.conf': conf({ name: c.name, prio: 200, comment: 'Router under test: 192.0.2.10, priority 200 (the winner). Peer 192.0.2.20 has priority 100.' }) });
}
{
  const c = new Case('split-brain-loser-hears-winner', {
    description: 'after a partition both are MASTER; the winner\'s (200) advert reaches the loser (ours, 100) first: with higher_prio_send_advert the loser answers with one advert at its own priority (so the winner learns of the split brain), then goes BACKUP and removes its VIPs',
    primaryAddress: '192.0.2.20',
    sources: [
      'keepalived.conf(5) higher_prio_send_advert ("If we are master and receive a higher priority advert, send an advert (which will be lower priority than the other master), before we transition to backup")',
      'keepalived vrrp.c vrrp_state_master_rx (higher_prio_send_advert → vrrp_send_adv at the effective priority) and vrrp_state_leave_master',
      S.master, S.notify,
    ],
  });
  c.input({ type: 'startup', at: 0 }).input(timer(3609.375, 'masterDown'));
  c.input(inAdv(4218.75, '192.0.2.10', 200));
  startupExp(c, 100);
  masterExp(c, 3609.375, 100, { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375 });
  c.e({ at: 4218.75, instance: 'VI_1', transition: { from: 'MASTER', to: 'BACKUP', reason: { code: 'higherPriorityAdvert', from: '192.0.2.10', priority: 200, ourPriority: 100 } } });
  c.e({ at: 4218.75, instance: 'VI_1', action: adv(100) });
  c.e({ at: 4218.75, instance: 'VI_1', action: { type: 'removeVips', addresses: [VIP] } });
  c.e({ at: 4218.75, instance: 'VI_1', action: { type: 'notify', state: 'BACKUP', priority: 100 } });
  c.e({ at: 4218.75, instance: 'VI_1', armedSet: ['masterDown'] });
  c.e({ at: 4218.75, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 7828.125 } });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, extra: '\n  higher_prio_send_advert', comment: 'Router under test: 192.0.2.20, priority 100 (the loser), higher_prio_send_advert. Peer 192.0.2.10 has priority 200.' }) });
}
// ---------------------------------------------------------------- 15 split brain on a LAN, default configs, both orders
for (const [name, heal, order] of [
  ['split-brain-heal-loser-hears-first', 10000, 'the winner\'s advert (10218.75) crosses first: the loser hears the winner and the winner would never hear the loser\'s regular adverts (keepalived\'s failing order)'],
  ['split-brain-heal-winner-hears-first', 10400, 'the loser\'s advert (10609.375) crosses first: the winner hears the loser'],
]) {
  const c = new Case(name, {
    description: `two nodes with default configs (A 200, B 100) are partitioned from the start, so both become MASTER; the partition heals at ${heal} ms and ${order}. Required: the winner sends a GARP burst within one advert interval, the loser goes BACKUP and removes its VIPs, and the loser sends no GARP afterwards`,
    nodes: { A: { conf: 'a.conf', primaryAddress: '192.0.2.10' }, B: { conf: 'b.conf', primaryAddress: '192.0.2.20' } },
    latencyMs: 0.5,
    until: 20000,
    sources: [
      'issue 3 (split brain): "after a partition heals, a client must reach the surviving master within one advert interval in every order of the first adverts — including the order where the winner never hears the loser"',
      'field-notes: keepalived 2.2.7 gets the order where the higher-priority master\'s advert arrives first wrong (no gratuitous ARP; a client keeps the loser\'s MAC for tens of seconds)',
      S.master, S.backup, S.timers,
    ],
  });
  c.raw({ at: 0, partition: [['A'], ['B']] });
  c.input({ type: 'startup', at: 0 }, 'VI_1', { node: 'A' }).input({ type: 'startup', at: 0 }, 'VI_1', { node: 'B' });
  c.raw({ at: heal, heal: true });
  const win = { min: heal, max: heal + 1000 };
  c.e({ at: 9999, node: 'A', instance: 'VI_1', state: 'MASTER' });
  c.e({ at: 9999, node: 'B', instance: 'VI_1', state: 'MASTER' });
  c.e({ at: win, node: 'A', instance: 'VI_1', eventually: { type: 'sendGarp', addresses: [VIP] }, partial: true });
  c.e({ at: win, node: 'B', instance: 'VI_1', transition: { from: 'MASTER', to: 'BACKUP', reason: { code: 'higherPriorityAdvert' } } });
  c.e({ at: win, node: 'B', instance: 'VI_1', eventually: { type: 'removeVips', addresses: [VIP] } });
  c.e({ at: { min: heal + 1000, max: 20000 }, node: 'B', instance: 'VI_1', never: { type: 'sendGarp' }, partial: true });
  c.e({ at: { min: heal + 1000, max: 20000 }, node: 'B', instance: 'VI_1', never: { type: 'addVips' }, partial: true });
  c.e({ at: 20000, node: 'A', instance: 'VI_1', state: 'MASTER' });
  c.e({ at: 20000, node: 'B', instance: 'VI_1', state: 'BACKUP' });
  c.write({
    'a.conf': conf({ name: name + '-a', prio: 200, comment: 'Node A: 192.0.2.10, priority 200 (the winner), default options.' }),
    'b.conf': conf({ name: name + '-b', prio: 100, comment: 'Node B: 192.0.2.20, priority 100 (the loser), default options.' }),
  });
}
// ---------------------------------------------------------------- 16 v2 advert interval mismatch
{
  const c = new Case('v2-advert-interval-mismatch', {
    description: 'a v2 advert whose Adver Int (2 s) differs from ours (1 s) is dropped by the protocol layer and never reaches the machine; a matching one is accepted',
    primaryAddress: '192.0.2.10',
    sources: [
      'RFC 3768 §7.1: "MUST verify that the Adver Interval in the packet is the same as the locally configured for this virtual router. If the above check fails, the receiver MUST discard the packet"',
      'keepalived vrrp.c vrrp_in_chk (v2: advertisement interval mismatch → drop)',
      S.backup, S.timers,
    ],
  });
  c.input({ type: 'startup', at: 0 });
  c.packet(1000, { src: '192.0.2.20', version: 2, priority: 200, maxAdverIntCs: 200, addresses: [VIP] });
  c.packet(2000, { src: '192.0.2.20', version: 2, priority: 200, maxAdverIntCs: 200, addresses: [VIP] });
  c.icomment('control: the same advert with a matching interval is accepted and resets master-down');
  c.packet(2500, { src: '192.0.2.20', version: 2, priority: 200, maxAdverIntCs: 100, addresses: [VIP] });
  c.input(timer(6109.375, 'masterDown'));
  startupExp(c, 100);
  c.e({ at: 1000, instance: 'VI_1', drop: { reason: 'advert-interval' } });
  c.e({ at: 2000, instance: 'VI_1', drop: { reason: 'advert-interval' } });
  c.e({ at: 2000, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 3609.375 } });
  c.e({ at: 2500, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 6109.375 } });
  masterExp(c, 6109.375, 100, { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375 });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, comment: 'Router under test: 192.0.2.10, VRRPv2, advert_int 1, priority 100. Peer 192.0.2.20 is misconfigured with advert_int 2.' }) });
}
// ---------------------------------------------------------------- 17 v3 learning Master_Adver_Interval
{
  const c = new Case('v3-learn-master-adver-int', {
    description: 'VRRPv3: a backup (1 s) accepts a master advertising every 2 s, learns Master_Adver_Interval and recomputes master-down (6 s + skew); as master it advertises its own 1 s interval',
    primaryAddress: '192.0.2.10',
    sources: [
      'RFC 5798 §6.4.2: "Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT; Recompute the Master_Down_Interval; Reset the Master_Down_Timer to Master_Down_Interval"',
      'RFC 5798 §6.1: Skew_Time = ((256 - Priority) × Master_Adver_Interval) / 256; Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time',
      'RFC 5798 §7.1 / keepalived: a v3 Max Adver Int mismatch is not a reason to drop',
      'keepalived vrrp.c vrrp_state_backup ("advertisement interval updated") and vrrp_state_become_master ("using locally configured advertisement interval")',
    ],
  });
  c.input({ type: 'startup', at: 0 });
  c.packet(1000, { src: '192.0.2.20', version: 3, priority: 200, maxAdverIntCs: 200, addresses: [VIP] });
  c.packet(3000, { src: '192.0.2.20', version: 3, priority: 200, maxAdverIntCs: 200, addresses: [VIP] });
  c.input(timer(10218.75, 'masterDown')).input(timer(11218.75, 'advert'));
  startupExp(c, 100);
  c.e({ at: 0, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 3609.375 } });
  c.e({ at: 1000, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 8218.75 } });
  c.e({ at: 3000, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 10218.75 } });
  masterExp(c, 10218.75, 100, { code: 'masterDownTimeout', masterDownIntervalMs: 7218.75 }, { version: 3 });
  c.e({ at: 11218.75, instance: 'VI_1', action: adv(100, { version: 3 }) });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, version: 3, comment: 'Router under test: 192.0.2.10, VRRPv3, advert_int 1, priority 100. The master 192.0.2.20 advertises every 2 s.' }) });
}
// ---------------------------------------------------------------- 18 state MASTER on a non-owner
{
  const c = new Case('state-master-non-owner', {
    description: '`state MASTER` on a non-owner is only a wish: keepalived 2.2.7 starts it as BACKUP and it becomes MASTER after the full master-down interval',
    primaryAddress: '192.0.2.10',
    sources: [
      'keepalived 2.2.7 lab run: with state MASTER, priority 100, advert_int 1 it logs "Entering BACKUP STATE (init)" and "Entering MASTER STATE" 3.60 s later (3.58 s with state BACKUP)',
      'keepalived.conf(5) nopreempt / preempt_delay: "NOTE: For this to work, the initial state must not be MASTER"',
      S.init, S.timers,
    ],
  });
  c.input({ type: 'startup', at: 0 }).input(timer(3609.375, 'masterDown'));
  startupExp(c, 100);
  c.e({ at: 0, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 3609.375 } });
  masterExp(c, 3609.375, 100, { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375 });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, state: 'MASTER', comment: 'Router under test: 192.0.2.10, priority 100, state MASTER.' }) });
}
// ---------------------------------------------------------------- 19 master receives priority 0
{
  const c = new Case('master-receives-priority-0', {
    description: 'a MASTER that hears a priority-0 advert (another router stopping) answers at once with an advert and restarts its Adver_Timer; no state change',
    primaryAddress: '192.0.2.10',
    sources: ['RFC 5798 §6.4.3: "If the Priority in the ADVERTISEMENT is zero, then: Send an ADVERTISEMENT; Reset the Adver_Timer to Advertisement_Interval"', 'keepalived vrrp.c vrrp_state_master_rx ("Master received priority 0 message" → vrrp_send_adv) and vrrp_scheduler.c vrrp_dispatcher_read ("If we have sent an advert, reset the timer")'],
  });
  c.input({ type: 'startup', at: 0 }).input(timer(3218.75, 'masterDown'));
  c.input(inAdv(3500, '192.0.2.20', 0));
  c.input(timer(4500, 'advert'));
  startupExp(c, 200);
  masterExp(c, 3218.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 });
  c.e({ at: 3500, instance: 'VI_1', action: adv(200) });
  c.e({ at: 3500, instance: 'VI_1', armed: { timer: 'advert', deadline: 4500 } });
  c.e({ at: 3500, instance: 'VI_1', state: 'MASTER' });
  c.e({ at: 4500, instance: 'VI_1', action: adv(200) });
  c.write({ 'node.conf': conf({ name: c.name, prio: 200, comment: 'Router under test: 192.0.2.10, priority 200. Another router 192.0.2.20 stops and sends priority 0.' }) });
}
// ---------------------------------------------------------------- 20 lower_prio_no_advert
{
  const c = new Case('lower-prio-no-advert', {
    description: 'with lower_prio_no_advert a MASTER does not answer a lower-priority advert (RFC behaviour) and keeps its Adver_Timer, but still refreshes ARP (garp_lower_prio_repeat)',
    primaryAddress: '192.0.2.10',
    sources: [
      'keepalived.conf(5) lower_prio_no_advert ("If a lower priority advert is received, don\'t send another advert. This causes adherence to the RFCs")',
      'RFC 5798 §6.4.3: an ADVERTISEMENT with lower priority is discarded',
      'keepalived vrrp.c vrrp_state_master_rx (garp_lower_prio_rep GARPs whatever lower_prio_no_advert says) and vrrp_scheduler.c vrrp_dispatcher_read (the timer is not reset when MASTER with lower_prio_no_advert)',
      'keepalived.conf(5) vrrp_garp_lower_prio_repeat / vrrp_garp_lower_prio_delay (defaults: the garp_master ones)',
    ],
  });
  c.input({ type: 'startup', at: 0 }).input(timer(3218.75, 'masterDown'));
  c.input(inAdv(3500, '192.0.2.20', 100));
  for (const at of [4218.75, 5218.75, 6218.75, 7218.75]) c.input(timer(at, 'advert'));
  c.input(timer(8218.75, 'advert')).input(timer(8218.75, 'garpDelay')).input(timer(8500, 'garpLowerPrio'));
  startupExp(c, 200);
  masterExp(c, 3218.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 });
  c.e({ at: 3500, instance: 'VI_1', action: { type: 'sendGarp', addresses: [VIP], repeat: 5 } });
  c.e({ at: 3500, instance: 'VI_1', armed: { timer: 'advert', deadline: 4218.75 } });
  for (const at of [4218.75, 5218.75, 6218.75, 7218.75]) c.e({ at, instance: 'VI_1', action: adv(200) });
  c.e({ at: 8218.75, instance: 'VI_1', action: adv(200) });
  c.e({ at: 8218.75, instance: 'VI_1', action: { type: 'sendGarp', addresses: [VIP], repeat: 5 } });
  c.e({ at: 8500, instance: 'VI_1', action: { type: 'sendGarp', addresses: [VIP], repeat: 5 } });
  c.write({ 'node.conf': conf({ name: c.name, prio: 200, extra: '\n  lower_prio_no_advert', comment: 'Router under test: 192.0.2.10, priority 200, lower_prio_no_advert. Peer 192.0.2.20 (100) advertises after a partition.' }) });
}
// ---------------------------------------------------------------- 21 vrrp_startup_delay
{
  const c = new Case('startup-delay', {
    description: 'vrrp_startup_delay 5.5: the instance stays in INIT (ignoring adverts) for 5.5 s, then starts as BACKUP and counts its master-down interval from there',
    primaryAddress: '192.0.2.10',
    sources: [
      'keepalived.conf(5) vrrp_startup_delay ("a delay in seconds before vrrp instances start up after keepalived starts")',
      'keepalived vrrp_scheduler.c vrrp_dispatcher_read: adverts received in INIT are ignored ("not yet fully initialised")',
      S.init, S.timers,
    ],
  });
  c.input({ type: 'startup', at: 0 });
  c.input(inAdv(3000, '192.0.2.20', 100));
  c.input(timer(5500, 'startupDelay'));
  c.input(timer(9109.375, 'masterDown'));
  c.e({ at: 3000, instance: 'VI_1', state: 'INIT' });
  c.e({ at: 3000, instance: 'VI_1', armedSet: ['startupDelay'] });
  c.e({ at: 5500, instance: 'VI_1', transition: { from: 'INIT', to: 'BACKUP', reason: { code: 'startup' } } });
  c.e({ at: 5500, instance: 'VI_1', action: { type: 'notify', state: 'BACKUP', priority: 100 } });
  c.e({ at: 5500, instance: 'VI_1', action: { type: 'removeVips', addresses: [VIP] }, optional: true });
  c.e({ at: 5500, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 9109.375 } });
  masterExp(c, 9109.375, 100, { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375 });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, globals: '\n  vrrp_startup_delay 5.5', comment: 'Router under test: 192.0.2.10, priority 100, vrrp_startup_delay 5.5 s.' }) });
}
// ---------------------------------------------------------------- 22 unweighted track_script → FAULT from BACKUP
{
  const c = new Case('track-script-unweighted-fault', {
    description: 'an unweighted track_script fails on a BACKUP: FAULT (nothing to remove, no advert); when it recovers, BACKUP with a fresh master-down interval',
    primaryAddress: '192.0.2.10',
    sources: [
      'keepalived.conf(5) vrrp_script: "The default weight equals 0, which means that any VRRP instance monitoring the script will transition to the fault state after <fall> consecutive failures"',
      'keepalived vrrp.c vrrp_state_leave_fault / try_up_instance (recovery → BACKUP, down timer = 3 × adver_int + skew)',
      S.notify, S.timers,
    ],
  });
  c.input({ type: 'startup', at: 0 }).input({ type: 'script', at: 0, name: 'chk_svc', ok: true });
  c.input(inAdv(1000, '192.0.2.20', 200));
  c.input({ type: 'script', at: 2000, name: 'chk_svc', ok: false });
  c.input(inAdv(3000, '192.0.2.20', 200));
  c.input({ type: 'script', at: 4000, name: 'chk_svc', ok: true });
  c.input(timer(7609.375, 'masterDown'));
  startupExp(c, 100);
  c.e({ at: 2000, instance: 'VI_1', transition: { from: 'BACKUP', to: 'FAULT', reason: { code: 'scriptFailed', name: 'chk_svc' } } });
  c.e({ at: 2000, instance: 'VI_1', action: { type: 'notify', state: 'FAULT', priority: 100 } });
  c.e({ at: 2000, instance: 'VI_1', armedSet: [] });
  c.e({ at: 3000, instance: 'VI_1', state: 'FAULT' });
  c.e({ at: 3000, instance: 'VI_1', armedSet: [] });
  c.e({ at: 4000, instance: 'VI_1', transition: { from: 'FAULT', to: 'BACKUP', reason: { code: 'scriptRecovered', name: 'chk_svc' } } });
  c.e({ at: 4000, instance: 'VI_1', action: { type: 'notify', state: 'BACKUP', priority: 100 } });
  c.e({ at: 4000, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 7609.375 } });
  masterExp(c, 7609.375, 100, { code: 'masterDownTimeout', masterDownIntervalMs: 3609.375 });
  const text = conf({ name: c.name, prio: 100, extra: '\n  track_script {\n    chk_svc\n  }', globals: '\n  enable_script_security\n  script_user root', comment: 'Router under test: 192.0.2.10, priority 100, tracking chk_svc (unweighted). The master 192.0.2.20 has priority 200.' })
    .replace('vrrp_instance', 'vrrp_script chk_svc {\n  script "/bin/true"\n  interval 1\n}\n\nvrrp_instance');
  c.write({ 'node.conf': text });
}
// ---------------------------------------------------------------- 23 shutdown as BACKUP
{
  const c = new Case('shutdown-backup', {
    description: 'a BACKUP stopping sends no advert and has no VIPs to remove: it only notifies STOP and disarms its timers',
    primaryAddress: '192.0.2.10',
    sources: [
      'RFC 5798 §6.4.2 (Backup, Shutdown event: cancel the Master_Down_Timer, transition to Initialize)',
      'keepalived.conf(5) notify_stop ("executed when stopping vrrp")',
      'keepalived vrrp.c vrrp_restore_interface: the priority-0 advert is sent only when leaving MASTER',
    ],
  });
  c.input({ type: 'startup', at: 0 }).input(inAdv(1000, '192.0.2.20', 200)).input({ type: 'shutdown', at: 1500 });
  startupExp(c, 100);
  c.e({ at: 1500, instance: 'VI_1', transition: { from: 'BACKUP', to: 'STOP', reason: { code: 'shutdown' } } });
  c.e({ at: 1500, instance: 'VI_1', action: { type: 'notify', state: 'STOP' }, partial: true });
  c.e({ at: 1500, instance: 'VI_1', armedSet: [] });
  c.write({ 'node.conf': conf({ name: c.name, prio: 100, comment: 'Router under test: 192.0.2.10, priority 100 (BACKUP). The master 192.0.2.20 has priority 200.' }) });
}
// ---------------------------------------------------------------- 24 IPv6 (VRRPv3) election
{
  const V6 = '2001:db8::100';
  const c = new Case('ipv6-election-we-win', {
    description: 'an IPv6 instance runs VRRPv3 whatever vrrp_version says; ours (200) becomes MASTER, advertises its IPv6 VIP and sends its unsolicited-NA burst (sendGarp)',
    primaryAddress: 'fe80::10',
    sources: [
      'keepalived.conf(5) vrrp_version ("default: 2, but IPv6 instances will use version 3") and version ("IPv6 instances will always use version 3")',
      'RFC 5798 §6.4.2 (IPv6: send Unsolicited Neighbor Advertisements for the addresses on becoming Master) and §5.1.2.1 (IPv6 source: the link-local address)',
      'RFC 5798 §6.1 (v3 Skew_Time in centiseconds: ((256 - 200) × 100)/256 = 21.875 cs)',
      S.garp,
    ],
  });
  c.input({ type: 'startup', at: 0 }).input(timer(3218.75, 'masterDown')).input(timer(4218.75, 'advert'));
  startupExp(c, 200, { vip: V6 });
  c.e({ at: 0, instance: 'VI_1', armed: { timer: 'masterDown', deadline: 3218.75 } });
  masterExp(c, 3218.75, 200, { code: 'masterDownTimeout', masterDownIntervalMs: 3218.75 }, { vip: V6, version: 3 });
  c.e({ at: 4218.75, instance: 'VI_1', action: adv(200, { version: 3, addresses: [V6] }) });
  c.write({ 'node.conf': conf({ name: c.name, prio: 200, vip: V6 + '/64', comment: 'Router under test: fe80::10 on eth0, priority 200, IPv6 VIP 2001:db8::100 (no version given: IPv6 means VRRPv3).' }) });
}
console.log('ok');
