// A simulated MySensors node without an id, for profiles in controller mode (`mysensors:
// { controller: true }`): it does what a sketch with MY_NODE_ID AUTO does against a
// controller (MySensors serial API v2.x).
// - asks for an id (`255;255;3;0;3;`), again every interval until one comes;
// - with its id: presents itself (S_ARDUINO_NODE, sketch name and version) and two children
//   — 5 S_TEMP "Attic" and 6 S_BINARY "Fan", published at the generic
//   <port>/<node>/<child>/<V_TYPE> — and asks for the time (I_TIME);
// - reports its temperature every interval;
// - obeys a C_SET of V_STATUS to child 6: echoes it when the ack is requested, switches, and
//   reports the new state; presents again when the controller asks (I_PRESENTATION).
import { parseMySensors } from '../line/mysensors.ts';
import {
  AUTO_NODE,
  C_INTERNAL,
  C_SET,
  I_ID_RESPONSE,
  I_PRESENTATION,
  I_TIME,
} from '../mysensors/protocol.ts';
import type { Rng } from './values.ts';

export const SIM_TEMP_CHILD = 5;
export const SIM_SWITCH_CHILD = 6;
const V_TEMP = 0;
const V_STATUS = 2;

export class SimulatedMySensorsNode {
  /** The id the controller gave, once it did. */
  id: number | null = null;
  /** The controller's last I_TIME answer (Unix seconds). */
  time: number | null = null;
  /** Child 6's state, `0` or `1`. */
  state = '0';

  constructor(
    private readonly send: (line: string) => void,
    private readonly rng: Rng,
  ) {}

  /** Each interval: a reading once it has an id, else another id request. */
  tick(): void {
    if (this.id === null) return this.send(`${AUTO_NODE};${AUTO_NODE};${C_INTERNAL};0;3;`);
    const temp = (15 + this.rng() * 10).toFixed(1);
    this.send(`${this.id};${SIM_TEMP_CHILD};${C_SET};0;${V_TEMP};${temp}`);
  }

  /** A line from the gateway: true when it was for this node (handled here). */
  onLine(line: string): boolean {
    const parsed = parseMySensors(line);
    if (!parsed.ok) return false;
    const m = parsed.message;
    if (m.node === AUTO_NODE && m.command === C_INTERNAL && m.type === I_ID_RESPONSE) {
      if (this.id !== null || !/^\d{1,3}$/.test(m.payload)) return true;
      const id = Number(m.payload);
      if (id < 1 || id > 254) return true;
      this.id = id;
      this.present();
      this.send(`${id};255;${C_INTERNAL};0;${I_TIME};`);
      this.tick();
      return true;
    }
    if (this.id === null || m.node !== this.id) return false;
    if (m.command === C_INTERNAL && m.type === I_TIME && /^\d{1,12}$/.test(m.payload))
      this.time = Number(m.payload);
    else if (m.command === C_INTERNAL && m.type === I_PRESENTATION) this.present();
    else if (
      m.command === C_SET &&
      m.child === SIM_SWITCH_CHILD &&
      m.type === V_STATUS &&
      /^[01]$/.test(m.payload)
    ) {
      if (m.ack === 1) this.send(line);
      this.state = m.payload;
      this.send(`${this.id};${SIM_SWITCH_CHILD};${C_SET};0;${V_STATUS};${this.state}`);
    }
    return true;
  }

  private present(): void {
    const id = String(this.id);
    this.send(`${id};255;0;0;17;2.3.2`);
    this.send(`${id};255;3;0;11;tty2mqtt sim node`);
    this.send(`${id};255;3;0;12;1.0`);
    this.send(`${id};${SIM_TEMP_CHILD};0;0;6;Attic`);
    this.send(`${id};${SIM_SWITCH_CHILD};0;0;3;Fan`);
  }
}
