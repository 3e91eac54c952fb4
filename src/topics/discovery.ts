// Home Assistant MQTT discovery's names: one retained config per entity at
// `<prefix>/<component>/<node_id>/<object_id>/config`, node_id `tty2mqtt_<gateway>` and
// object_id `<port>_<name>`, both limited to [a-zA-Z0-9_-] as HA's discovery documentation
// ("Discovery topic") requires. Shared by the profile entities (app/ha-discovery.ts) and the
// MySensors node entities (mysensors/ha-entities.ts), so both land where the other's cleanup
// (discoveryFilter) finds them.

/** One discovery config: its topic and its JSON payload. */
export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

/** A discovery topic level: only [a-zA-Z0-9_-] (HA MQTT discovery, "Discovery topic"). */
export function discoveryId(text: string): string {
  return text.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** The HA device that stands for the gateway (`via_device` of every port and node). */
export function gatewayDeviceId(gatewayId: string): string {
  return `tty2mqtt_${gatewayId}`;
}

/** The discovery node id of a gateway: `tty2mqtt_<gateway>`. */
export function discoveryNodeId(gatewayId: string): string {
  return discoveryId(gatewayDeviceId(gatewayId));
}

/** Where the config of one entity of this gateway goes. */
export function discoveryTopic(
  prefix: string,
  component: string,
  gatewayId: string,
  objectId: string,
): string {
  return `${prefix}/${component}/${discoveryNodeId(gatewayId)}/${discoveryId(objectId)}/config`;
}

/** The filter matching every discovery config this gateway can have published. */
export function discoveryFilter(prefix: string, gatewayId: string): string {
  return `${prefix}/+/${discoveryNodeId(gatewayId)}/+/config`;
}

/** An entity's `availability` entry for one of the gateway's retained `online`/`offline` topics. */
export function availabilityEntry(topic: string): Record<string, string> {
  return { topic, payload_available: 'online', payload_not_available: 'offline' };
}
