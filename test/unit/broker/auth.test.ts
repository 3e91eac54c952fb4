import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessPolicy } from '../../../src/broker/auth.ts';
import { formatListenAddress, parseListenAddress } from '../../../src/net/listen-address.ts';

const users = [
  { username: 'gateway', password: 'gw-secret' },
  { username: 'ha', password: 'ha-secret' },
  { username: 'nobody', password: 'x' },
];
const acl = [
  { username: 'gateway', publish: ['tty2mqtt/#'], subscribe: ['tty2mqtt/+/cmd/#'] },
  { username: 'ha', publish: ['tty2mqtt/+/cmd/#'], subscribe: ['tty2mqtt/#', '$SYS/#'] },
];

void describe('AccessPolicy credentials', () => {
  void it('lets everyone in when no users are configured', async () => {
    const policy = new AccessPolicy([], []);
    assert.equal(policy.requiresAuthentication, false);
    assert.deepEqual(await policy.checkCredentials(undefined, undefined), { ok: true });
  });

  void it('requires a known username with its exact password', async () => {
    const policy = new AccessPolicy(users, []);
    assert.deepEqual(await policy.checkCredentials('gateway', Buffer.from('gw-secret')), { ok: true });
    assert.deepEqual(await policy.checkCredentials('gateway', Buffer.from('gw-secreT')), {
      ok: false,
      reason: 'bad username or password',
    });
    assert.deepEqual(await policy.checkCredentials('gateway', Buffer.from('gw-secret ')), {
      ok: false,
      reason: 'bad username or password',
    });
    assert.deepEqual(await policy.checkCredentials('gateway', Buffer.from('')), {
      ok: false,
      reason: 'bad username or password',
    });
    assert.deepEqual(await policy.checkCredentials('ha', Buffer.from('gw-secret')), {
      ok: false,
      reason: 'bad username or password',
    });
    assert.deepEqual(await policy.checkCredentials('stranger', Buffer.from('')), {
      ok: false,
      reason: 'bad username or password',
    });
    assert.deepEqual(await policy.checkCredentials(undefined, undefined), {
      ok: false,
      reason: 'missing credentials',
    });
    assert.deepEqual(await policy.checkCredentials('gateway', undefined), {
      ok: false,
      reason: 'missing credentials',
    });
  });
});

void describe('AccessPolicy publish/subscribe', () => {
  void it('without an ACL allows everything but publishing to $ topics', () => {
    const policy = new AccessPolicy(users, []);
    assert.equal(policy.hasAcl, false);
    assert.equal(policy.mayPublish('gateway', 'any/topic').allowed, true);
    assert.equal(policy.mayPublish(undefined, 'any/topic').allowed, true);
    assert.equal(policy.mayPublish('gateway', '$SYS/x').allowed, false);
    assert.equal(policy.mayPublish('gateway', '$share/x').allowed, false);
    assert.equal(policy.maySubscribe('gateway', '#').allowed, true);
    assert.equal(policy.maySubscribe('gateway', '$SYS/#').allowed, true);
    assert.equal(policy.maySubscribe('gateway', 'a/#/b').allowed, false);
  });

  void it('ignores the ACL when no users are configured (anonymous, loopback default)', () => {
    const policy = new AccessPolicy([], acl);
    assert.equal(policy.hasAcl, false);
    assert.equal(policy.mayPublish(undefined, 'x').allowed, true);
  });

  void it('with an ACL allows exactly the listed filters', () => {
    const policy = new AccessPolicy(users, acl);
    assert.equal(policy.mayPublish('gateway', 'tty2mqtt/livingroom/temp').allowed, true);
    assert.equal(policy.mayPublish('gateway', 'other/x').allowed, false);
    assert.equal(policy.mayPublish('ha', 'tty2mqtt/livingroom/cmd/led').allowed, true);
    assert.equal(policy.mayPublish('ha', 'tty2mqtt/livingroom/temp').allowed, false);
    assert.equal(policy.mayPublish('gateway', '$SYS/x').allowed, false);
    assert.equal(policy.maySubscribe('gateway', 'tty2mqtt/+/cmd/#').allowed, true);
    assert.equal(policy.maySubscribe('gateway', 'tty2mqtt/livingroom/cmd/led').allowed, true);
    assert.equal(policy.maySubscribe('gateway', 'tty2mqtt/#').allowed, false);
    assert.equal(policy.maySubscribe('ha', 'tty2mqtt/#').allowed, true);
    assert.equal(policy.maySubscribe('ha', '$SYS/broker/x').allowed, true);
    assert.equal(policy.maySubscribe('ha', '#').allowed, false);
  });

  void it('caps topic levels for publishes and filters, whatever the ACL says', () => {
    const policy = new AccessPolicy(users, [], { maxTopicLevels: 4 });
    assert.equal(policy.mayPublish('gateway', 'a/b/c/d').allowed, true);
    assert.equal(policy.maySubscribe('gateway', 'a/b/c/#').allowed, true);
    const publish = policy.mayPublish('gateway', 'a/b/c/d/e');
    assert.ok(!publish.allowed && publish.rule === 'levels', JSON.stringify(publish));
    const subscribe = policy.maySubscribe('gateway', 'a/+/c/d/#');
    assert.ok(!subscribe.allowed && subscribe.rule === 'levels', JSON.stringify(subscribe));
    assert.match(subscribe.reason, /5 topic levels, more than the maximum of 4/);
  });

  void it("confines the gateway's internal login to its roots, with or without an ACL", async () => {
    const internalUser = {
      username: 'gw-internal',
      password: 'r4nd0m',
      publish: ['tty2mqtt/#'],
      subscribe: ['tty2mqtt/#'],
    };
    for (const rules of [[], acl]) {
      const policy = new AccessPolicy(users, rules, { internalUser });
      assert.deepEqual(await policy.checkCredentials('gw-internal', Buffer.from('r4nd0m')), { ok: true });
      assert.equal(policy.mayPublish('gw-internal', 'tty2mqtt/attic/temp').allowed, true);
      assert.equal(policy.mayPublish('gw-internal', 'elsewhere/x').allowed, false);
      assert.equal(policy.maySubscribe('gw-internal', 'tty2mqtt/+/led/set').allowed, true);
      assert.equal(policy.maySubscribe('gw-internal', '#').allowed, false);
      assert.equal(policy.mayPublish('gw-internal', '$SYS/x').allowed, false);
    }
    // No users: anonymous broker; the internal login is not needed and not accepted specially.
    const open = new AccessPolicy([], [], { internalUser });
    assert.equal(open.requiresAuthentication, false);
    assert.equal(open.mayPublish(undefined, 'elsewhere/x').allowed, true);
  });

  void it('denies users without an ACL entry and anonymous clients', () => {
    const policy = new AccessPolicy(users, acl);
    assert.equal(policy.mayPublish('nobody', 'tty2mqtt/x').allowed, false);
    assert.equal(policy.maySubscribe('nobody', 'tty2mqtt/x').allowed, false);
    assert.equal(policy.mayPublish(undefined, 'tty2mqtt/x').allowed, false);
  });

  void it('merges several entries for one user', () => {
    const policy = new AccessPolicy(users, [
      { username: 'gateway', publish: ['a'], subscribe: [] },
      { username: 'gateway', publish: ['b'], subscribe: ['c'] },
    ]);
    assert.equal(policy.mayPublish('gateway', 'a').allowed, true);
    assert.equal(policy.mayPublish('gateway', 'b').allowed, true);
    assert.equal(policy.maySubscribe('gateway', 'c').allowed, true);
  });

  void it('never puts a password in a reason', async () => {
    const policy = new AccessPolicy(users, acl);
    const check = await policy.checkCredentials('gateway', Buffer.from('wrong-gw-secret'));
    assert.ok(!JSON.stringify(check).includes('secret'));
  });
});

void describe('parseListenAddress', () => {
  void it('reads host:port and [v6]:port', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:1883'), { host: '127.0.0.1', port: 1883 });
    assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListenAddress('localhost:8080'), { host: 'localhost', port: 8080 });
    assert.equal(parseListenAddress('127.0.0.1'), undefined);
    assert.equal(parseListenAddress('::1:1883'), undefined);
    assert.equal(parseListenAddress('127.0.0.1:65536'), undefined);
    assert.equal(parseListenAddress(' 127.0.0.1:1'), undefined);
  });

  void it('formats IPv6 hosts in brackets', () => {
    assert.equal(formatListenAddress({ host: '::1', port: 1883 }), '[::1]:1883');
    assert.equal(formatListenAddress({ host: '0.0.0.0', port: 1 }), '0.0.0.0:1');
  });
});

void describe('AccessPolicy read access (every forwarded message)', () => {
  void it('lets a user read exactly the concrete topics its subscribe ACL matches', () => {
    const policy = new AccessPolicy(users, acl);
    assert.equal(policy.mayRead('gateway', 'tty2mqtt/attic/cmd/relay').allowed, true);
    assert.deepEqual(policy.mayRead('gateway', 'tty2mqtt/attic/temperature'), {
      allowed: false,
      rule: 'acl',
      reason: `"tty2mqtt/attic/temperature": not in this user's subscribe ACL`,
    });
    assert.equal(policy.mayRead('ha', '$SYS/broker/uptime').allowed, true);
    assert.equal(policy.mayRead('nobody', 'tty2mqtt/attic/temperature').allowed, false);
    const long = policy.mayRead('gateway', `x/${'y'.repeat(100_000)}`);
    assert.ok(!long.allowed && long.reason.length < 200, 'a long topic is quoted by its start');
    // Without an ACL, and anonymous: no read restriction.
    assert.equal(new AccessPolicy(users, []).mayRead('nobody', 'a/b').allowed, true);
    assert.equal(new AccessPolicy([], []).mayRead(undefined, 'a/b').allowed, true);
  });
});
