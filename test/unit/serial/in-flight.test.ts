// The first-line rule (src/serial/in-flight.ts): only bytes already in flight when
// the port opened can be the tail of a line the open cut.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrivedInFlight, IN_FLIGHT_WINDOW_MS } from '../../../src/serial/in-flight.ts';

test('bytes arriving within the window after the open settled may be a cut line; later ones start a whole line', () => {
  const opened = 5_000;
  console.log(`in-flight window: ${IN_FLIGHT_WINDOW_MS} ms`);
  assert.ok(IN_FLIGHT_WINDOW_MS > 255, 'longer than the largest FTDI latency timer');
  assert.equal(arrivedInFlight(opened, opened), true, 'waiting at the open');
  assert.equal(arrivedInFlight(opened, opened + 16), true, 'one FTDI latency timer later');
  assert.equal(arrivedInFlight(opened, opened + IN_FLIGHT_WINDOW_MS - 1), true);
  assert.equal(arrivedInFlight(opened, opened + IN_FLIGHT_WINDOW_MS), false);
  assert.equal(arrivedInFlight(opened, opened + 3_000), false, 'a reading 3 s after the open');
  assert.equal(arrivedInFlight(opened, opened + 50, 40), false, 'the window can be given');
});
