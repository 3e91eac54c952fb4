// One configured serial port, whatever it speaks: the ManagedPort (serial/port.ts) wired to a
// protocol part (line-part.ts, mysensors-part.ts, mqttsn-part.ts). The host starts and stops
// them in order, restarts the port on request, reports its supervision to the watchdog and
// builds the common part of its view. Failures stay inside this port: other ports and the
// daemon are unaffected (docs/architecture.md "Rules that hold everywhere").
import type { BindingInterface } from '../serial/binding.ts';
import type { LoadedProfile } from '../config/load.ts';
import { portIdleTimeoutMs } from '../config/idle-timeout.ts';
import type { PortConfig } from '../config/schema.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { createRateLimitedLog } from '../log/rate-limited-log.ts';
import { ManagedPort } from '../serial/port.ts';
import type { PortSupervision } from '../serial/port.ts';
import type { Service } from '../service.ts';
import type { PortView, PortSection } from './port-view.ts';
import type { PortIo, ProtocolPart } from './protocol-part.ts';

export interface PortHostOptions {
  port: PortConfig;
  profile: LoadedProfile;
  log: Logger;
  binding?: BindingInterface | undefined;
  now?: () => number;
  /** The port opened, closed, or was heard from: availability may have changed. */
  onChange: () => void;
}

export class PortHost<S extends PortSection = PortSection> implements Service {
  readonly name: string;
  private readonly serial: ManagedPort;
  private readonly part: ProtocolPart<S>;
  /** Who else looks at the bytes read (the boot banner after a flash); usually nobody. */
  private readonly observers = new Set<(chunk: Buffer) => void>();

  constructor(
    private readonly options: PortHostOptions,
    createPart: (io: PortIo) => ProtocolPart<S>,
  ) {
    const { port, profile, log } = options;
    this.name = `port ${port.name}`;
    const now = options.now ?? Date.now;
    this.serial = new ManagedPort(
      {
        name: port.name,
        path: port.path,
        baudRate: port.baud_rate,
        resetOnOpen: port.reset_on_open,
        idleTimeoutMs: portIdleTimeoutMs(port, profile),
        log,
        ...(options.binding === undefined ? {} : { binding: options.binding }),
      },
      {
        onOpen: () => {
          this.part.opened();
          options.onChange();
          this.part.resumed?.();
        },
        onData: (chunk, info) => {
          if (this.observers.size > 0) for (const observe of this.observers) observe(chunk);
          this.part.received(chunk, info);
        },
        onClose: (_reason, kind) => {
          this.part.closed(kind);
          options.onChange();
        },
      },
    );
    this.part = createPart({
      now,
      write: (data) => this.serial.write(data),
      send: (data, failure) => {
        this.serial.write(data).catch((error: unknown) => {
          log.debug({ err: errorMessage(error) }, failure);
        });
      },
      isOpen: () => this.serial.status().state === 'open',
      changed: () => options.onChange(),
      // The port's clock: a test stepping it sees the window end and its summary line.
      badInput: createRateLimitedLog(log, { perWindow: 5, windowMs: 60_000, now }),
    });
  }

  /** The protocol's counters, live: gateway/health and the stop line show them. */
  get counters(): S['counters'] {
    return this.part.counters;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.part.start();
    await this.serial.start(signal);
  }

  async stop(): Promise<void> {
    this.part.stop();
    await this.serial.stop();
    await this.part.finish();
  }

  /** Closes and reopens the serial port (gateway/request/restart_port). */
  restart(): boolean {
    return this.serial.restart('restart requested over MQTT');
  }

  /** The configured port and its profile (the firmware flash needs the path and the `mcu`). */
  get config(): { port: PortConfig; profile: LoadedProfile } {
    return { port: this.options.port, profile: this.options.profile };
  }

  /**
   * Closes the device and keeps it closed for another program (the firmware programmer)
   * until the returned release() reopens it; ManagedPort.hold says what happens to reading.
   */
  hold(reason: string): Promise<() => void> {
    return this.serial.hold(reason);
  }

  /** Calls `listener` with every chunk read, besides the protocol part, until unsubscribed. */
  observe(listener: (chunk: Buffer) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  /** Flow control (src/app/read-gate.ts): bytes wait in the kernel until resumed. */
  pauseReading(): void {
    this.serial.pauseReading();
  }

  resumeReading(): void {
    this.serial.resumeReading();
  }

  /** The serial supervision's last tick, for the systemd watchdog (src/ops/liveness.ts). */
  supervision(): PortSupervision {
    return this.serial.supervision();
  }

  view(): PortView<S> {
    const s = this.serial.status();
    const { port, profile } = this.options;
    return {
      name: port.name,
      path: port.path,
      device: profile.id,
      description: profile.description,
      format: this.part.format,
      state: s.state,
      // Not `state === 'open'`: our own reopen (idle_timeout, restart_port) is not a loss and
      // must not flip availability; a loss or a failed open sets lastError, the next open
      // clears it.
      available: s.lastError === null && s.state !== 'stopped' && this.part.present(),
      lastSeen: this.part.lastSeen(),
      opens: s.opens,
      losses: s.losses,
      fields: Object.keys(profile.fields),
      commands: Object.keys(profile.commands),
      ...this.part.section(),
    };
  }
}
