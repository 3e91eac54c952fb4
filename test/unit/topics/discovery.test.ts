// Home Assistant discovery's names, shared by the profile entities and the MySensors node
// entities: ids limited to [a-zA-Z0-9_-], and every config topic under the gateway's filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topicMatches } from '../../../src/topics/filter.ts';
import {
  availabilityEntry,
  discoveryFilter,
  discoveryId,
  discoveryNodeId,
  discoveryTopic,
  gatewayDeviceId,
} from '../../../src/topics/discovery.ts';

test('ids keep only [a-zA-Z0-9_-]; the gateway device id is tty2mqtt_<gateway>', () => {
  assert.deepEqual(['garden_12_1', 'a.b/c+d#é'].map(discoveryId), ['garden_12_1', 'a_b_c_d__']);
  assert.deepEqual(
    [gatewayDeviceId('pi.local'), discoveryNodeId('pi.local')],
    ['tty2mqtt_pi.local', 'tty2mqtt_pi_local'],
  );
});

test("a config topic is under the gateway's discovery filter", () => {
  const topic = discoveryTopic('homeassistant', 'sensor', 'pi.local', 'lr_temp.1');
  assert.equal(topic, 'homeassistant/sensor/tty2mqtt_pi_local/lr_temp_1/config');
  assert.ok(topicMatches(discoveryFilter('homeassistant', 'pi.local'), topic));
  assert.ok(!topicMatches(discoveryFilter('homeassistant', 'other'), topic));
});

test("an availability entry reads the gateway's online/offline", () => {
  assert.deepEqual(availabilityEntry('b/lr/availability'), {
    topic: 'b/lr/availability',
    payload_available: 'online',
    payload_not_available: 'offline',
  });
});
