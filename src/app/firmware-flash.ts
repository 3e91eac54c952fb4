// Firmware updates of the boards on the gateway's ports (docs/firmware.md): one flash at a
// time, only when gateway.yaml says `flash.allow: true`. The order is the one that keeps every
// guarantee of the port:
//   1. the image is read and checked whole before the port is touched (intel-hex.ts / elf.ts,
//      mcu.ts): a refused image leaves the board running and the port reading;
//   2. the port is held (ManagedPort.hold): reading stops, a half-read line is dropped as on
//      any close, the device is closed so the programmer can open it;
//   3. the programmer (avrdude or the built-in STK500v1) resets the board into its bootloader,
//      checks the signature against the profile's `mcu`, writes and verifies;
//   4. the port is released, whatever happened, and reopens at once; the first line the board
//      prints (its boot banner) is reported with the result.
import { performance } from 'node:perf_hooks';
import { ErrorCodes, GatewayError, errorMessage, isGatewayError } from '../errors.ts';
import { readFirmwareBytes } from '../firmware/image-file.ts';
import { MCUS, checkImage } from '../firmware/mcu.ts';
import type { Mcu, McuName } from '../firmware/mcu.ts';
import type { FlashProgress, Programmer } from '../firmware/programmer.ts';
import type { Logger } from '../log/logger.ts';
import type { FlashRequest } from '../requests/flash-request.ts';
import { createBannerTap } from './boot-banner.ts';

/** What the flasher needs of a configured port (PortHost has it). */
export interface FlashTarget {
  readonly name: string;
  readonly path: string;
  /** The profile's `mcu:`; undefined when the profile states none. */
  readonly mcu: McuName | undefined;
  readonly device: string;
  hold(reason: string): Promise<() => void>;
  observe(listener: (chunk: Buffer) => void): () => void;
}

export interface FlashOutcome {
  port: string;
  device: string;
  mcu: string;
  programmer: string;
  bytes: number;
  verified: boolean;
  signature: string;
  /** The programmer's time: reset, sync, write, verify. */
  ms: number;
  /** From the hold to the reopen. */
  offlineMs: number;
  /** The first line the board printed after the flash, or null if none within bannerWaitMs. */
  banner: string | null;
}

export interface FirmwareFlasherOptions {
  allow: boolean;
  targets: () => readonly FlashTarget[];
  /** Resolves the configured programmer (avrdude found and checked, or the built-in one). */
  programmer: () => Promise<Programmer>;
  log: Logger;
  /** How long to wait for the new firmware's first line after the reopen (default 5 s). */
  bannerWaitMs?: number;
}

const DEFAULT_BANNER_WAIT_MS = 5000;

export class FirmwareFlasher {
  /** The port being flashed: one flash at a time (one programmer, one serial timing). */
  private busyWith: string | null = null;
  private readonly bannerWaitMs: number;
  /** Aborts the programming under way when the gateway stops (its 5 s deadline). */
  private readonly stopping = new AbortController();

  constructor(private readonly options: FirmwareFlasherOptions) {
    this.bannerWaitMs = options.bannerWaitMs ?? DEFAULT_BANNER_WAIT_MS;
  }

  /** The port being flashed now, if any. */
  busy(): string | null {
    return this.busyWith;
  }

  /**
   * The gateway is stopping: a programming under way is abandoned (the bootloader survives a
   * half-written sketch; flashing again recovers the board) and no new one starts.
   */
  stop(): void {
    if (this.busyWith !== null)
      this.options.log.warn(
        `port ${this.busyWith}: the gateway is stopping; abandoning the firmware flash under way`,
      );
    this.stopping.abort();
  }

  async flash(
    request: FlashRequest,
    onProgress: (p: FlashProgress) => void = () => undefined,
  ): Promise<FlashOutcome> {
    if (!this.options.allow)
      throw new GatewayError(
        ErrorCodes.FIRMWARE_NOT_ALLOWED,
        'firmware updates are off: set `flash.allow: true` in gateway.yaml to allow them',
      );
    if (this.stopping.signal.aborted)
      throw new GatewayError(ErrorCodes.FIRMWARE_NOT_ALLOWED, 'the gateway is stopping');
    if (this.busyWith !== null)
      throw new GatewayError(
        ErrorCodes.FIRMWARE_NOT_ALLOWED,
        `port ${this.busyWith} is being flashed; one flash at a time, try again when it has finished`,
      );
    const target = this.options.targets().find((t) => t.name === request.port);
    if (target === undefined)
      throw new GatewayError(ErrorCodes.FIRMWARE_NOT_ALLOWED, `no port named "${request.port.slice(0, 64)}"`);
    this.busyWith = target.name;
    try {
      return await this.flashTarget(target, request, onProgress);
    } finally {
      this.busyWith = null;
    }
  }

  private async flashTarget(
    target: FlashTarget,
    request: FlashRequest,
    onProgress: (p: FlashProgress) => void,
  ): Promise<FlashOutcome> {
    const mcu = mcuOf(target);
    const image = readFirmwareBytes(request.image);
    checkImage(image, mcu);
    const programmer = await this.options.programmer();
    const log = this.options.log.child({ port: target.name });
    log.info(
      {
        bytes: image.size,
        mcu: mcu.name,
        programmer: programmer.name,
        verify: request.verify,
      },
      `port ${target.name}: flashing ${image.size} bytes with ${programmer.name}`,
    );
    const heldAt = performance.now();
    const release = await target.hold('flashing firmware');
    const banner = createBannerTap();
    let stopObserving: (() => void) | undefined;
    try {
      const result = await programmer.program({
        path: target.path,
        baudRate: mcu.bootloaderBaud,
        image,
        mcu,
        verify: request.verify,
        onProgress,
        signal: this.stopping.signal,
      });
      // Listen before the reopen: the new sketch may greet at once.
      stopObserving = target.observe((chunk) => banner.feed(chunk));
      release();
      const offlineMs = Math.round(performance.now() - heldAt);
      const line = await banner.line(this.bannerWaitMs);
      const outcome: FlashOutcome = {
        port: target.name,
        device: target.device,
        mcu: mcu.name,
        programmer: result.programmer,
        bytes: result.bytesWritten,
        verified: result.verified,
        signature: result.signature,
        ms: Math.round(result.ms),
        offlineMs,
        banner: line,
      };
      const { port: _port, ...fields } = outcome; // `port` is the child logger's
      log.info(
        fields,
        `port ${target.name}: flashed ${outcome.bytes} bytes in ${(outcome.ms / 1000).toFixed(1)} s` +
          `${outcome.verified ? ', verified' : ' (not verified)'}; ` +
          (line === null ? 'no banner yet' : `banner: ${JSON.stringify(line)}`),
      );
      return outcome;
    } catch (error) {
      release(); // the old firmware (or whatever is there) is read again
      log.warn(
        { code: codeOf(error) },
        `port ${target.name}: flash failed: ${errorMessage(error)}; ${target.path} reopened`,
      );
      throw error;
    } finally {
      stopObserving?.();
    }
  }
}

function mcuOf(target: FlashTarget): Mcu {
  if (target.mcu === undefined)
    throw new GatewayError(
      ErrorCodes.FIRMWARE_UNSUPPORTED,
      `port ${target.name}: its profile "${target.device}" states no \`mcu:\`, so no image can be checked against the board; add e.g. \`mcu: atmega328p\` for an Uno`,
    );
  return MCUS[target.mcu];
}

function codeOf(error: unknown): string | undefined {
  return isGatewayError(error) ? error.code : undefined;
}
