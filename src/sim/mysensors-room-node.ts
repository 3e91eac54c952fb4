// A simulated MySensors node with a static id (MY_NODE_ID set in its sketch), for profiles
// in controller mode without fixed fields — the shipped mysensors-gateway profile. It plays
// nodes 12 and 13 of devices/mysensors-gateway/mysensors-gateway.ino (MySensors serial API
// v2.x), so what the simulator prints is what that firmware prints:
// - presents at start and whenever the controller asks (I_PRESENTATION): itself
//   (S_ARDUINO_NODE, sketch "Room Node" 1.0) and children 1 S_TEMP, 2 S_HUM, 3 S_BINARY —
//   a controller publishes only presented children (at <port>/<node>/<child>/<V_TYPE>);
// - reports V_TEMP, V_HUM and V_STATUS every interval;
// - obeys a C_SET of V_STATUS to child 3: echoes it when the ack is requested (the
//   command's answer), switches, and reports the new state.
import { parseMySensors } from '../line/mysensors.ts';
import {
  C_INTERNAL,
  C_PRESENTATION,
  C_SET,
  I_PRESENTATION,
  I_SKETCH_NAME,
  I_SKETCH_VERSION,
  S_ARDUINO_NODE,
} from '../mysensors/protocol.ts';
import type { Rng } from './values.ts';

export const ROOM_TEMP_CHILD = 1;
export const ROOM_HUM_CHILD = 2;
export const ROOM_LIGHT_CHILD = 3;
const S_BINARY = 3;
const S_TEMP = 6;
const S_HUM = 7;
const V_TEMP = 0;
const V_HUM = 1;
const V_STATUS = 2;

/** A bounded random walk, like the firmware's wander(). */
function wander(value: number, step: number, low: number, high: number, rng: Rng): number {
  return Math.min(high, Math.max(low, value + step * (rng() * 2 - 1)));
}

export class SimulatedRoomNode {
  /** Child 3's state, `0` or `1`. */
  state = '0';
  #temperature: number;
  #humidity: number;

  constructor(
    readonly id: number | string,
    private readonly send: (line: string) => void,
    private readonly rng: Rng,
  ) {
    this.#temperature = 18 + rng() * 6;
    this.#humidity = 40 + rng() * 20;
  }

  /** Node and children, as the firmware's presentNode(). */
  present(): void {
    const id = String(this.id);
    this.send(`${id};255;${C_PRESENTATION};0;${S_ARDUINO_NODE};2.3.2`);
    this.send(`${id};255;${C_INTERNAL};0;${I_SKETCH_NAME};Room Node`);
    this.send(`${id};255;${C_INTERNAL};0;${I_SKETCH_VERSION};1.0`);
    this.send(`${id};${ROOM_TEMP_CHILD};${C_PRESENTATION};0;${S_TEMP};Temperature`);
    this.send(`${id};${ROOM_HUM_CHILD};${C_PRESENTATION};0;${S_HUM};Humidity`);
    this.send(`${id};${ROOM_LIGHT_CHILD};${C_PRESENTATION};0;${S_BINARY};Light`);
  }

  /** One report: temperature, humidity and the light's state. */
  tick(): void {
    this.#temperature = wander(this.#temperature, 0.3, -10, 35, this.rng);
    this.#humidity = wander(this.#humidity, 1, 20, 90, this.rng);
    const id = String(this.id);
    this.send(`${id};${ROOM_TEMP_CHILD};${C_SET};0;${V_TEMP};${this.#temperature.toFixed(1)}`);
    this.send(`${id};${ROOM_HUM_CHILD};${C_SET};0;${V_HUM};${this.#humidity.toFixed(1)}`);
    this.send(`${id};${ROOM_LIGHT_CHILD};${C_SET};0;${V_STATUS};${this.state}`);
  }

  /** A line from the gateway: true when it was for this node (handled here). */
  onLine(line: string): boolean {
    const parsed = parseMySensors(line);
    if (!parsed.ok || String(parsed.message.node) !== String(this.id)) return false;
    const m = parsed.message;
    if (m.command === C_INTERNAL && m.type === I_PRESENTATION) this.present();
    else if (
      m.command === C_SET &&
      m.child === ROOM_LIGHT_CHILD &&
      m.type === V_STATUS &&
      /^[01]$/.test(m.payload)
    ) {
      if (m.ack === 1) this.send(line); // the echo the controller asked for: the message as received
      this.state = m.payload;
      this.send(`${String(this.id)};${ROOM_LIGHT_CHILD};${C_SET};0;${V_STATUS};${this.state}`);
    }
    return true;
  }
}
