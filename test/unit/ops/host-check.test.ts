// ops/host-check.ts: which Host headers http.listen serves (DNS rebinding defence).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHostPolicy, hostName } from '../../../src/ops/host-check.ts';

const base = { allowedHosts: [], hostname: 'raspberrypi', interfaceAddresses: ['192.168.1.20', 'fe80::1'] };

describe('host check', () => {
  it('parses Host headers: port, brackets, case, trailing dot', () => {
    assert.equal(hostName('LocalHost:9464'), 'localhost');
    assert.equal(hostName('[::1]:9464'), '::1');
    assert.equal(hostName('[::1]'), '::1');
    assert.equal(hostName('localhost.'), 'localhost');
    assert.equal(hostName('::1'), '::1');
  });

  it('on loopback: the listen address and localhost names only, not the host name', () => {
    const allows = createHostPolicy({ ...base, listenHost: '127.0.0.1' });
    for (const h of ['127.0.0.1:9464', '127.0.0.1', 'localhost:9464', 'localhost', '[::1]:9464', '[::1]'])
      assert.ok(allows(h), h);
    for (const h of [
      'rebind.attacker.example',
      'rebind.attacker.example:9464',
      'raspberrypi',
      '192.168.1.20',
      'localhost.attacker.example',
      '127.0.0.1.attacker.example',
      '',
      undefined,
    ])
      assert.ok(!allows(h), String(h));
  });

  it('on a wildcard address: also the host name and the interface addresses', () => {
    const allows = createHostPolicy({ ...base, listenHost: '0.0.0.0' });
    for (const h of ['raspberrypi:9464', 'RaspberryPi', '192.168.1.20:9464', '[fe80::1]:9464', 'localhost'])
      assert.ok(allows(h), h);
    assert.ok(!allows('rebind.attacker.example:9464'));
    assert.ok(!allows('0.0.0.1'));
  });

  it('on a LAN address: that address and the host name', () => {
    const allows = createHostPolicy({ ...base, listenHost: '192.168.1.20' });
    assert.ok(allows('192.168.1.20:9464'));
    assert.ok(allows('raspberrypi'));
    assert.ok(!allows('fe80::1'), 'other interfaces only for a wildcard listener');
  });

  it('allowed_hosts entries, with or without port in the entry or the header', () => {
    const allows = createHostPolicy({
      ...base,
      listenHost: '127.0.0.1',
      allowedHosts: ['gw.example.test', 'Proxy.LAN:443'],
    });
    for (const h of ['gw.example.test', 'gw.example.test:8443', 'proxy.lan', 'proxy.lan:443'])
      assert.ok(allows(h), h);
    assert.ok(!allows('example.test'));
  });
});
