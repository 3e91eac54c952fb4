// Subscriptions are bounded per client (`max_subscriptions`) and per port
// (`max_port_subscriptions`): every filter becomes a broker subscription and every message
// from the broker is matched against all of them, so one client (or one forwarder) must
// not be able to add them without end. Past a limit: SUBACK 0x02 (MQTT-SN 1.2 §5.4.16,
// Table 5), counted, nothing subscribed upstream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, setup, subscribeName } from '../../helpers/mqttsn-rig.ts';
import type { Setup } from '../../helpers/mqttsn-rig.ts';

function subscribeRaw(s: Setup, name: string, address = '', msgId = 300): number | undefined {
  s.gw.receive(address, { type: 'SUBSCRIBE', dup: false, qos: 0, msgId, topic: { kind: 'name', name } });
  const [suback] = s.env.takeFor(address);
  assert.ok(suback?.type === 'SUBACK', 'SUBACK expected');
  return suback.returnCode;
}

describe('subscription caps', () => {
  it('max_subscriptions: the N+1th filter of one client → SUBACK 0x02, not subscribed upstream', () => {
    const s = setup({ max_subscriptions: 5 });
    connect(s);
    for (let i = 0; i < 5; i++) subscribeName(s, `cmd/${i}/#`, 0, '', 10 + i);
    assert.equal(subscribeRaw(s, 'cmd/5/#'), 2);
    assert.equal(s.env.subscribed.length, 5, 'broker subscriptions stay at the cap');
    assert.equal(s.gw.counters.drops.too_many_subscriptions, 1);
    console.log(`# per client: ${s.env.subscribed.length} upstream subscriptions after 6 SUBSCRIBEs`);
    // Re-subscribing a filter it holds is not a new one; unsubscribing makes room.
    assert.equal(subscribeRaw(s, 'cmd/4/#'), 0);
    s.gw.receive('', { type: 'UNSUBSCRIBE', msgId: 9, topic: { kind: 'name', name: 'cmd/0/#' } });
    s.env.take();
    assert.equal(subscribeRaw(s, 'cmd/5/#'), 0);
  });

  it('max_port_subscriptions: clients behind one forwarder share the port cap', () => {
    const s = setup({ max_subscriptions: 4, max_port_subscriptions: 6, max_clients: 4 });
    connect(s, '01', { clientId: 'n1' });
    connect(s, '02', { clientId: 'n2' });
    for (let i = 0; i < 4; i++) subscribeName(s, `a/${i}`, 0, '01', 10 + i);
    subscribeName(s, 'b/0', 0, '02', 20);
    subscribeName(s, 'b/1', 0, '02', 21);
    assert.equal(subscribeRaw(s, 'b/2', '02'), 2);
    assert.equal(s.env.subscribed.length, 6);
    assert.equal(s.gw.counters.drops.too_many_subscriptions, 1);
    // A clean reconnect gives the client's subscriptions back to the port.
    connect(s, '01', { clientId: 'n1' });
    assert.equal(subscribeRaw(s, 'b/2', '02'), 0);
  });

  it('2,000 wildcard SUBSCRIBEs from one client hold only max_subscriptions broker subscriptions', () => {
    const s = setup();
    connect(s);
    let refused = 0;
    for (let i = 0; i < 2000; i++) if (subscribeRaw(s, `x/${i}/+`, '', (i % 0xfffe) + 1) === 2) refused += 1;
    console.log(`# 2000 SUBSCRIBEs: ${s.env.subscribed.length} upstream, ${refused} refused with 0x02`);
    assert.equal(s.env.subscribed.length, 64);
    assert.equal(refused, 2000 - 64);
  });
});
