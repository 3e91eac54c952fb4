// The gateway's own topics, as docs/contract.md §5 lists them: one builder each, and the
// names a device may not write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  availabilityTopic,
  gatewayDevicesTopic,
  gatewayHealthTopic,
  gatewayOwnedNames,
  gatewayStateTopic,
  portTopic,
  requestFilter,
  responsePrefix,
  responseTopic,
  resultTopic,
  setTopic,
} from '../../../src/topics/gateway-owned.ts';

test('the topics of docs/contract.md §5', () => {
  const base = 'iot/home1';
  assert.equal(portTopic(base, 'lr', 'temperature'), 'iot/home1/lr/temperature');
  assert.equal(availabilityTopic(base, 'lr'), 'iot/home1/lr/availability');
  assert.equal(availabilityTopic(base, 'garden/12'), 'iot/home1/garden/12/availability');
  assert.equal(setTopic(portTopic(base, 'lr', 'led')), 'iot/home1/lr/led/set');
  assert.equal(resultTopic(portTopic(base, 'lr', 'led')), 'iot/home1/lr/led/result');
  assert.equal(setTopic('+'), '+/set');
  assert.equal(gatewayStateTopic(base), 'iot/home1/gateway/state');
  assert.equal(gatewayHealthTopic(base), 'iot/home1/gateway/health');
  assert.equal(gatewayDevicesTopic(base), 'iot/home1/gateway/devices');
  assert.equal(requestFilter(base), 'iot/home1/gateway/request/+');
  assert.equal(responsePrefix(base), 'iot/home1/gateway/response/');
  assert.equal(responseTopic(base, 'health'), 'iot/home1/gateway/response/health');
});

test("gatewayOwnedNames: availability, and each command's set and result", () => {
  assert.deepEqual([...gatewayOwnedNames([])], ['availability']);
  assert.deepEqual([...gatewayOwnedNames(['led', 'reset'])].sort(), [
    'availability',
    'led/result',
    'led/set',
    'reset/result',
    'reset/set',
  ]);
});
