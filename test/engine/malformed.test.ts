import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import { vrrpMachineKit } from '../../src/engine/machines.js';
import { protocolCodec } from '../../src/engine/protocol-codec.js';
import { Simulation } from '../../src/engine/simulation.js';
import { encodeVrrp } from '../../src/protocol/index.js';
import { nodeConfigText } from './lab.js';

describe('malformed packets', () => {
  it('are dropped by the receive checks before the machine and counted per instance and reason', () => {
    const res = loadConfigText(nodeConfigText({ routerId: 'lb1', instances: [{ name: 'VI_1', vrid: 51, priority: 100 }] }), 'lb1.conf');
    const sim = new Simulation({ nodes: [{ name: 'lb1', config: res.config! }], machines: vrrpMachineKit, codec: protocolCodec });
    const attacker = '192.0.2.66';
    sim.lan.attach('x', 'eth0', 'lan', [attacker]);
    const tx = sim.lan.transport('x');
    const group = '224.0.0.18';
    const good = { version: 2 as const, type: 1, vrid: 51, priority: 254, maxAdverIntCs: 100, addresses: ['198.51.100.51'], family: 'ipv4' as const, authType: 0 };
    const send = (payload: Uint8Array, ttl = 255, dst = group): void => tx.send({ ifname: 'eth0', family: 'ipv4', src: attacker, dst, ttl, payload });
    const enc = (over: Partial<typeof good> = {}) => encodeVrrp({ ...good, ...over }, { src: attacker, dst: group });

    sim.runUntil(1000);
    const badSum = Buffer.from(enc());
    badSum[6] ^= 0xff;
    send(badSum);
    send(badSum);
    send(enc(), 254); // multicast TTL must be 255
    send(enc({ maxAdverIntCs: 200 })); // v2: advert_int must match ours
    send(enc({ addresses: ['198.51.100.52'] })); // not our VIP
    send(encodeVrrp({ ...good, version: 3, authType: undefined }, { src: attacker, dst: group })); // version
    send(enc({ vrid: 52 })); // another VRID: not ours, not malformed
    send(Uint8Array.of(0x21, 51, 1)); // a runt
    sim.runUntil(2000);

    const engine = sim.nodes.get('lb1')!.engine!;
    expect(engine.malformed()).toEqual({ VI_1: { checksum: 2, ttl: 1, 'advert-interval': 1, 'vip-mismatch': 1, version: 1 } });
    expect(sim.malformed()).toEqual({ lb1: engine.malformed() });
    expect(engine.stats).toMatchObject({ unmatchedPackets: 1, runtPackets: 1 });
    // the machine never saw a priority-254 advert: still waiting for a master
    expect(engine.view('VI_1')!.masterAddress).toBeUndefined();
    // the drops are in the log with their reason; the repeated one folds into its stream
    const drops = sim.nodes.get('lb1')!.journal.events().filter((r) => r.kind === 'input' && r.type === 'drop');
    expect(drops.map((r) => (r.data as { reason: string }).reason)).toEqual(['checksum', 'ttl', 'advert-interval', 'vip-mismatch', 'version']);

    // a valid advert still gets through
    send(enc());
    sim.runUntil(3000);
    expect(engine.view('VI_1')!.masterAddress).toBe(attacker);
  });
});
