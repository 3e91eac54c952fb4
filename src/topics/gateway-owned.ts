// The names under `<base>/<port>/` that belong to the gateway, whatever a device sends: it
// publishes `availability` (retained) and `<command>/result` itself, and subscribes to
// `<command>/set` to write commands to the device. A device writing one of them would speak
// for the gateway — mark itself online while its port is closed, forge a command's result —
// or command itself through the broker. Both the line mapper (a topic with levels the device
// supplies) and the MQTT-SN publish rules (a PUBLISH or a Will) refuse them.

/** Owned names relative to the port, for a profile with these command names. */
export function gatewayOwnedNames(commandNames: readonly string[]): ReadonlySet<string> {
  const names = new Set(['availability']);
  for (const command of commandNames) {
    names.add(`${command}/set`);
    names.add(`${command}/result`);
  }
  return names;
}
