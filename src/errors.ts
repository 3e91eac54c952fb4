// Errors that callers must tell apart carry a stable code (fastify's FST_ERR_* idea).
// The codes are listed in README.md; a retired code is never reused.

export const ErrorCodes = {
  /** gateway.yaml or a device profile is invalid (exit 78, EX_CONFIG). */
  CONFIG_INVALID: 'TTY2MQTT_CONFIG_INVALID',
  /** No configuration file was found where it was looked for (exit 78). */
  CONFIG_NOT_FOUND: 'TTY2MQTT_CONFIG_NOT_FOUND',
  /** A secret (password_file, ${ENV}) could not be read or is unsafe (exit 78). */
  SECRET_UNREADABLE: 'TTY2MQTT_SECRET_UNREADABLE',
  /** A serial port could not be opened (retried; never fatal). */
  PORT_OPEN_FAILED: 'TTY2MQTT_PORT_OPEN_FAILED',
  /** At start-up a configured port is locked by another process (exit 75, EX_TEMPFAIL). */
  PORT_IN_USE: 'TTY2MQTT_PORT_IN_USE',
  /** At start-up the queue is locked by another gateway (exit 75, EX_TEMPFAIL). */
  QUEUE_IN_USE: 'TTY2MQTT_QUEUE_IN_USE',
  /** A serial port went away while open (unplug, hang-up). */
  PORT_LOST: 'TTY2MQTT_PORT_LOST',
  /** The embedded broker could not listen (exit 1). */
  BROKER_LISTEN_FAILED: 'TTY2MQTT_BROKER_LISTEN_FAILED',
  /** An embedded_broker user's password_file looks like a mosquitto_passwd hash but is not one (exit 1). */
  BROKER_PASSWORD_FILE_INVALID: 'TTY2MQTT_BROKER_PASSWORD_FILE_INVALID',
  /** embedded_broker.tls cert/key/ca cannot be read or do not form a TLS context (exit 1). */
  BROKER_TLS_INVALID: 'TTY2MQTT_BROKER_TLS_INVALID',
  /** The HTTP endpoint (`http.listen`: /metrics, /healthz, status page) could not listen (exit 1). */
  HTTP_LISTEN_FAILED: 'TTY2MQTT_HTTP_LISTEN_FAILED',
  /** The queue refused a message because it is full under `when_full: reject_new`. */
  QUEUE_FULL: 'TTY2MQTT_QUEUE_FULL',
  /** `tty2mqtt try`: at least one line would be refused by the daemon (exit 2). */
  LINES_REFUSED: 'TTY2MQTT_LINES_REFUSED',
  /** `tty2mqtt learn`: the sample held no lines, binary data, or lines no line format takes (exit 1). */
  NOTHING_LEARNED: 'TTY2MQTT_NOTHING_LEARNED',
  /** A command line that cannot be understood (exit 1, with a hint to use --help). */
  USAGE: 'TTY2MQTT_USAGE',
  /** A firmware image is not a whole, well-formed Intel HEX file, or does not fit the MCU's application area. */
  FIRMWARE_INVALID: 'TTY2MQTT_FIRMWARE_INVALID',
  /** The profile's `mcu` has a bootloader tty2mqtt cannot flash (STK500v2, AVR109). */
  FIRMWARE_UNSUPPORTED: 'TTY2MQTT_FIRMWARE_UNSUPPORTED',
  /** The board's bootloader answered the signature of another MCU than the profile's `mcu`. */
  FIRMWARE_WRONG_BOARD: 'TTY2MQTT_FIRMWARE_WRONG_BOARD',
  /** A request to the running gateway over its broker got no answer, or the broker refused it. */
  REQUEST_FAILED: 'TTY2MQTT_REQUEST_FAILED',
  /** A firmware flash was asked for but is not allowed (`flash.allow: false`) or cannot start now. */
  FIRMWARE_NOT_ALLOWED: 'TTY2MQTT_FIRMWARE_NOT_ALLOWED',
  /** The board's bootloader never answered (no STK500 sync): no bootloader, wrong port or baud. */
  FIRMWARE_NO_SYNC: 'TTY2MQTT_FIRMWARE_NO_SYNC',
  /** Flash read back after writing differs from the image. */
  FIRMWARE_VERIFY_FAILED: 'TTY2MQTT_FIRMWARE_VERIFY_FAILED',
  /** Programming failed otherwise (the bootloader refused a command, avrdude failed, the port went away). */
  FIRMWARE_FLASH_FAILED: 'TTY2MQTT_FIRMWARE_FLASH_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class GatewayError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
  }
}

export function isGatewayError(error: unknown, code?: ErrorCode): error is GatewayError {
  return error instanceof GatewayError && (code === undefined || error.code === code);
}

/** One message per configuration problem, already located: `FILE:LINE:COL: path: message`. */
export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
  /**
   * Absent: an error (the configuration is refused). `warning`: the configuration runs but
   * likely not as meant (a port path that is not there now); printed as `warning: …`.
   */
  severity?: 'warning';
}

export function formatProblem(p: ConfigProblem): string {
  const where = `${p.file}:${p.line}:${p.col}: ${p.path === '' ? '(root)' : p.path}: ${p.message}`;
  return p.severity === 'warning' ? `warning: ${where}` : where;
}

/**
 * Thrown by config loading with every problem found, never just the first, and the warnings
 * found in the same run (so a refused configuration hides nothing for the next run).
 */
export class ConfigError extends GatewayError {
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], warnings: readonly ConfigProblem[] = []) {
    super(ErrorCodes.CONFIG_INVALID, problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
    this.warnings = warnings;
  }
}

/** The one-line cause printed for a fatal error: message plus the codes of its cause chain. */
export function describeError(error: unknown): string {
  if (error instanceof GatewayError) return `${error.code}: ${error.message}`;
  return errorMessage(error);
}

/** What a caught value says: an Error's message, anything else (a thrown string …) as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A caught value as an Error, for a promise to reject with (anything thrown may be caught). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
