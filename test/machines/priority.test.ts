import { describe, expect, it } from 'vitest';
import { computePriority, trackContribution, trackFaults, type TrackSpec } from '../../src/machines/vrrp/priority.js';
import { compareAddresses } from '../../src/machines/vrrp/address.js';

const iface = (name: string, weight: number, reverse = false): TrackSpec => ({ kind: 'interface', name, weight, reverse });
const script = (name: string, weight: number, reverse = false): TrackSpec => ({ kind: 'script', name, weight, reverse });

describe('effective priority (keepalived vrrp_track.c)', () => {
  it('a positive weight is added while the object is up, nothing while down', () => {
    expect(trackContribution(10, false, true)).toBe(10);
    expect(trackContribution(10, false, false)).toBe(0);
  });

  it('a negative weight is added while the object is down, nothing while up', () => {
    expect(trackContribution(-30, false, true)).toBe(0);
    expect(trackContribution(-30, false, false)).toBe(-30);
  });

  it('reverse turns the adjustment around', () => {
    expect(trackContribution(10, true, true)).toBe(-10);
    expect(trackContribution(10, true, false)).toBe(0);
    expect(trackContribution(-30, true, false)).toBe(30);
    expect(trackContribution(-30, true, true)).toBe(0);
  });

  it('an unweighted object faults while down; weight 0 reverse faults while up', () => {
    expect(trackFaults(0, false, false)).toBe(true);
    expect(trackFaults(0, false, true)).toBe(false);
    expect(trackFaults(0, true, true)).toBe(true);
    expect(trackFaults(5, false, false)).toBe(false);
  });

  it('sums the weights and clamps to 1..254', () => {
    const specs = [iface('eth1', -60), script('chk', 50)];
    expect(computePriority(100, specs, { interfaces: {}, scripts: {} }).effective).toBe(150);
    expect(computePriority(100, specs, { interfaces: { eth1: false }, scripts: { chk: false } }).effective).toBe(40);
    expect(computePriority(250, specs, { interfaces: {}, scripts: {} })).toMatchObject({ total: 300, effective: 254 });
    expect(computePriority(20, specs, { interfaces: { eth1: false }, scripts: { chk: false } })).toMatchObject({ total: -40, effective: 1 });
  });

  it('never moves an address owner (priority 255)', () => {
    const specs = [iface('eth1', -60)];
    expect(computePriority(255, specs, { interfaces: { eth1: false }, scripts: {} }).effective).toBe(255);
  });

  it('lists the unweighted objects that hold the instance down', () => {
    const specs = [iface('eth0', 0), script('chk', 0), iface('eth1', -10)];
    const r = computePriority(100, specs, { interfaces: { eth0: false, eth1: false }, scripts: { chk: false } });
    expect(r.faults.map((f) => f.name)).toEqual(['eth0', 'chk']);
    expect(r.effective).toBe(90);
  });
});

describe('address comparison for the equal-priority tie-break', () => {
  it('compares IPv4 numerically, not as text', () => {
    expect(compareAddresses('192.0.2.10', '192.0.2.9')).toBeGreaterThan(0);
    expect(compareAddresses('192.0.2.9', '192.0.2.10')).toBeLessThan(0);
    expect(compareAddresses('198.51.100.1', '198.51.100.1')).toBe(0);
  });

  it('compares IPv6, compressed or not, with zone and IPv4 tail', () => {
    expect(compareAddresses('fe80::2', 'fe80::10')).toBeLessThan(0);
    expect(compareAddresses('2001:db8::1', '2001:db8:0:0:0:0:0:1')).toBe(0);
    expect(compareAddresses('fe80::1%eth0', 'fe80::1')).toBe(0);
    expect(compareAddresses('::ffff:192.0.2.1', '::ffff:c000:201')).toBe(0);
  });

  it('gives undefined, never throws, for garbage or mixed families', () => {
    expect(compareAddresses('192.0.2.300', '192.0.2.1')).toBeUndefined();
    expect(compareAddresses('nope', '192.0.2.1')).toBeUndefined();
    expect(compareAddresses('192.0.2.1', '2001:db8::1')).toBeUndefined();
    expect(compareAddresses('1::2::3', '::1')).toBeUndefined();
  });
});
