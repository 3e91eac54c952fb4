// The MySensors controller's protocol logic (src/mysensors/controller.ts) with an in-memory
// store and a fixed clock: ids, time, config, C_REQ, presentation and V_ type rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMySensors, parseMySensors } from '../../../src/line/mysensors.ts';
import { MySensorsController } from '../../../src/mysensors/controller.ts';
import type { ControllerOutcome, Refusal } from '../../../src/mysensors/controller.ts';
import { MemoryMySensorsStore } from '../../../src/mysensors/store.ts';
import type { MySensorsStore } from '../../../src/mysensors/store.ts';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const SPEC = {
  controller: true,
  config: 'M' as const,
  max_children: 3,
  ack_timeout: 2000,
  node_timeout: 3_600_000,
  sleep_ttl: 3_600_000,
};

function controller(store: MySensorsStore = new MemoryMySensorsStore(), refusals: Refusal[] = []) {
  const c = new MySensorsController({
    port: 'radio',
    spec: SPEC,
    store,
    now: () => NOW,
    onRefusal: (k) => refusals.push(k),
  });
  const send = (line: string): ControllerOutcome => {
    const parsed = parseMySensors(line);
    assert.ok(parsed.ok, line);
    return c.handle(parsed.message);
  };
  const replies = (line: string): string[] => send(line).replies.map(formatMySensors);
  return { c, send, replies };
}

void describe('MySensors controller', () => {
  void it('I_ID_REQUEST gets the lowest free id, kept in the store and never reused', () => {
    const store = new MemoryMySensorsStore();
    const a = controller(store);
    assert.deepEqual(a.replies('255;255;3;0;3;'), ['255;255;3;0;4;1']);
    a.send('5;255;3;0;22;'); // a node with a static id 5 is known on first sight
    assert.deepEqual(a.replies('255;255;3;0;3;'), ['255;255;3;0;4;2']);
    // A new controller on the same store (a restart) continues after them.
    const b = controller(store);
    assert.deepEqual(b.replies('255;255;3;0;3;'), ['255;255;3;0;4;3']);
    assert.deepEqual(
      b.c.nodes().map((n) => n.node),
      [1, 2, 3, 5],
    );
  });

  void it('a full table answers nothing and counts the refusal', () => {
    const refusals: Refusal[] = [];
    const { c, replies } = controller(new MemoryMySensorsStore(), refusals);
    for (let i = 1; i <= 254; i += 1) assert.deepEqual(replies('255;255;3;0;3;'), [`255;255;3;0;4;${i}`]);
    assert.deepEqual(replies('255;255;3;0;3;'), []);
    assert.equal(c.counters.idsAssigned, 254);
    assert.equal(c.counters.idTableFull, 1);
    assert.deepEqual(refusals, ['idTableFull']);
  });

  void it('a store failure hands out no id', () => {
    const store: MySensorsStore = {
      load: () => ({ nodes: [], values: [] }),
      saveNode: () => {
        throw new Error('disk full');
      },
      saveValue: () => undefined,
    };
    const { c, replies } = controller(store);
    assert.deepEqual(replies('255;255;3;0;3;'), []);
    assert.equal(c.counters.storeErrors, 1);
  });

  void it('I_TIME is Unix seconds, I_CONFIG the configured unit system', () => {
    const { replies } = controller();
    assert.deepEqual(replies('7;255;3;0;1;'), [`7;255;3;0;1;${NOW / 1000}`]);
    assert.deepEqual(replies('7;255;3;0;6;0'), ['7;255;3;0;6;M']);
  });

  void it('presented children are published by V_ type; C_REQ returns the last value', () => {
    const store = new MemoryMySensorsStore();
    const { c, send, replies } = controller(store);
    send('7;255;0;0;17;2.3.2');
    send('7;1;0;0;6;Outside');
    send('7;3;0;0;3;Relay');
    assert.deepEqual(send('7;1;1;0;0;21.50').reading, {
      node: 7,
      child: 1,
      type: 0,
      vName: 'V_TEMP',
      text: '21.5',
    });
    assert.deepEqual(send('7;3;1;0;2;1').reading?.text, '1');
    assert.equal(send('7;3;1;0;2;on').reading, null, 'V_STATUS takes 0 or 1 only');
    assert.equal(send('7;1;1;0;0;warm').reading, null, 'V_TEMP takes a number');
    assert.equal(c.counters.valuesRejected, 2);
    assert.deepEqual(replies('7;1;2;0;0;'), ['7;1;1;0;0;21.5']);
    assert.deepEqual(replies('7;2;2;0;0;'), [], 'no value known: no answer');
    assert.equal(c.counters.reqUnknown, 1);
    // After a restart the value is still there.
    assert.deepEqual(controller(store).replies('7;3;2;0;2;'), ['7;3;1;0;2;1']);
    const [node] = c.nodes();
    assert.equal(node?.library_version, '2.3.2');
    assert.deepEqual(node?.children, [
      { child: 1, type: 'S_TEMP', description: 'Outside' },
      { child: 3, type: 'S_BINARY', description: 'Relay' },
    ]);
  });

  void it('an unpresented child is not published; its node is asked once to present', () => {
    const { c, send } = controller();
    assert.deepEqual(send('9;4;1;0;0;20').replies.map(formatMySensors), ['9;255;3;0;19;']);
    assert.deepEqual(send('9;4;1;0;0;20').replies, []);
    assert.equal(c.counters.unpresented, 2);
  });

  void it('children per node are bounded by max_children', () => {
    const { c, send } = controller();
    for (const child of [1, 2, 3, 4]) send(`8;${child};0;0;6;`);
    assert.equal(c.nodes()[0]?.children.length, 3);
    assert.equal(c.counters.childrenRefused, 1);
  });

  void it('a node is available while heard from within node_timeout (heartbeats count)', () => {
    let now = NOW;
    const c = new MySensorsController({
      port: 'radio',
      spec: SPEC,
      store: new MemoryMySensorsStore(),
      now: () => now,
    });
    const send = (line: string): void => {
      const parsed = parseMySensors(line);
      assert.ok(parsed.ok);
      c.handle(parsed.message);
    };
    send('4;255;3;0;22;1');
    assert.equal(c.nodes()[0]?.available, true);
    now += SPEC.node_timeout + 1;
    assert.equal(c.nodes()[0]?.available, false, 'silent past node_timeout');
    send('4;255;3;0;22;2');
    assert.equal(c.nodes()[0]?.available, true, 'the next heartbeat');
  });

  void it('battery, sketch name/version and heartbeat are recorded', () => {
    const { c, send } = controller();
    assert.equal(send('4;255;3;0;11;Weather').nodesChanged, true);
    send('4;255;3;0;12;1.2');
    send('4;255;3;0;0;87');
    send('4;255;3;0;22;1234');
    send('4;255;3;0;0;120'); // not a battery level
    const [node] = c.nodes();
    assert.deepEqual(
      {
        name: node?.sketch_name,
        version: node?.sketch_version,
        battery: node?.battery,
        hb: node?.last_heartbeat,
      },
      { name: 'Weather', version: '1.2', battery: 87, hb: new Date(NOW).toISOString() },
    );
    assert.equal(c.counters.valuesRejected, 1);
  });
});
