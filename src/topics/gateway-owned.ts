// The topics that belong to the gateway (docs/contract.md §5), spelled here and nowhere else.
//
// Under `<base>/<port>/`, whatever a device sends: the gateway publishes `availability`
// (retained) and `<command>/result` itself, and subscribes to `<command>/set` to write
// commands to the device. A device writing one of them would speak for the gateway — mark
// itself online while its port is closed, forge a command's result — or command itself
// through the broker. Both the line mapper (a topic with levels the device supplies) and the
// MQTT-SN publish rules (a PUBLISH or a Will) refuse them.
//
// Under `<base>/gateway/` (no port may be called `gateway`): `state` (retained, also the
// will), `health`, `devices` (retained), `request/<action>` and the answers under
// `response/` (docs/decisions/0014-response-topic-prefix.md).

/** The level under base_topic that holds the gateway's own topics; a reserved port name. */
export const GATEWAY_LEVEL = 'gateway';

const AVAILABILITY = 'availability';

/** `<base>/<port>/<name>`: a name relative to the port (docs/contract.md §4.2). */
export function portTopic(base: string, port: string, name: string): string {
  return `${base}/${port}/${name}`;
}

/** `<x>/set`: where commands to `x` (a command name, `<node>/<child>/<V_TYPE>`, or a topic) are written. */
export function setTopic(x: string): string {
  return `${x}/set`;
}

/** `<x>/result`: where the gateway reports what became of each command to `x`. */
export function resultTopic(x: string): string {
  return `${x}/result`;
}

/** `<base>/<port>/availability` (retained `online`/`offline`); `port` may be `<port>/<node>`. */
export function availabilityTopic(base: string, port: string): string {
  return portTopic(base, port, AVAILABILITY);
}

/** `<base>/gateway/state`: retained `online`/`offline`, and the MQTT will. */
export function gatewayStateTopic(base: string): string {
  return `${base}/${GATEWAY_LEVEL}/state`;
}

/** `<base>/gateway/health`: a JSON report every 30 s. */
export function gatewayHealthTopic(base: string): string {
  return `${base}/${GATEWAY_LEVEL}/health`;
}

/** `<base>/gateway/devices`: retained JSON of the ports, their profiles and state. */
export function gatewayDevicesTopic(base: string): string {
  return `${base}/${GATEWAY_LEVEL}/devices`;
}

/** `<base>/gateway/request/+`: every request action. */
export function requestFilter(base: string): string {
  return `${base}/${GATEWAY_LEVEL}/request/+`;
}

/** `<base>/gateway/request/<action>`: where a request for `action` is published. */
export function requestTopic(base: string, action: string): string {
  return `${base}/${GATEWAY_LEVEL}/request/${action}`;
}

/** `<base>/gateway/response/`: the gateway's own answer namespace. */
export function responsePrefix(base: string): string {
  return `${base}/${GATEWAY_LEVEL}/response/`;
}

/** `<base>/gateway/response/<action>`: the default answer topic of a request. */
export function responseTopic(base: string, action: string): string {
  return `${responsePrefix(base)}${action}`;
}

/** Owned names relative to the port, for a profile with these command names. */
export function gatewayOwnedNames(commandNames: readonly string[]): ReadonlySet<string> {
  const names = new Set([AVAILABILITY]);
  for (const command of commandNames) {
    names.add(setTopic(command));
    names.add(resultTopic(command));
  }
  return names;
}
