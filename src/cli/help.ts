// The command table: options for parseArgs, help text, and a lazy runner (so `tty2mqtt
// check` never loads MQTT or serial code it does not need).
import type { ParseArgsConfig } from 'node:util';
import type { CommandContext } from './context.ts';

interface CommandSpec {
  summary: string;
  /** The command takes arguments besides its options (else they are a usage error). */
  positionals?: boolean;
  usage: string;
  details: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(context: CommandContext): Promise<number>;
}

const configOption = { config: { type: 'string', short: 'c' } } as const;

export const COMMANDS: Record<string, CommandSpec> = {
  run: {
    summary: 'run the gateway daemon',
    usage: 'tty2mqtt run [-c FILE]',
    details:
      '  -c, --config FILE   gateway.yaml to use (default: ./gateway.yaml, then /etc/tty2mqtt/gateway.yaml)\n\n' +
      'Stops gracefully on SIGTERM or Ctrl-C (a second signal exits at once).\n' +
      'Exit codes: 0 stopped cleanly, 78 configuration invalid, 75 a configured port or the queue is held\n' +
      'by another process (systemd retries), 1 other fatal error.\n',
    options: configOption,
    run: async (c) => (await import('./run.ts')).runCommand(c),
  },
  check: {
    summary: 'validate gateway.yaml and the device profiles it uses; opens nothing',
    usage: 'tty2mqtt check [-c FILE]',
    details:
      '  -c, --config FILE   gateway.yaml to check (default: ./gateway.yaml, then /etc/tty2mqtt/gateway.yaml)\n\n' +
      'Prints a summary and exits 0, or prints every problem as FILE:LINE:COL: path: message and exits 78.\n',
    options: configOption,
    run: async (c) => (await import('./check.ts')).checkCommand(c),
  },
  ports: {
    summary: 'list serial ports with their /dev/serial/by-id links',
    usage: 'tty2mqtt ports',
    details: 'Use the /dev/serial/by-id path in gateway.yaml: it stays the same when boards are replugged.\n',
    options: {},
    run: async (c) => (await import('./ports.ts')).portsCommand(c),
  },
  queue: {
    summary: 'show the durable queue: depth, bytes, oldest age, dead letters; requeue or purge dead letters',
    usage: 'tty2mqtt queue [-c FILE] [--requeue | --purge] [--ids 1,2,3]',
    details:
      '  -c, --config FILE   gateway.yaml whose queue.path to open (works while the daemon runs)\n' +
      '  --requeue           move dead letters back into the queue (all, or those in --ids)\n' +
      '  --purge             delete dead letters (all, or those in --ids)\n' +
      '  --ids LIST          comma-separated dead-letter ids\n',
    options: {
      ...configOption,
      requeue: { type: 'boolean' },
      purge: { type: 'boolean' },
      ids: { type: 'string' },
    },
    run: async (c) => (await import('./queue.ts')).queueCommand(c),
  },
  demo: {
    summary: 'embedded broker + simulated devices, printing the live topic stream (no hardware)',
    usage: 'tty2mqtt demo [--listen HOST:PORT] [--interval DURATION]',
    details:
      '  --listen HOST:PORT    where the embedded broker listens (default 127.0.0.1:1883, or a free port if taken)\n' +
      '  --interval DURATION   how often each simulated device sends (default 2s)\n\n' +
      'Watch it from another terminal too: mosquitto_sub -h 127.0.0.1 -p 1883 -t "#" -v\n' +
      'Ctrl-C stops it.\n',
    options: { listen: { type: 'string' }, interval: { type: 'string' } },
    run: async (c) => (await import('./demo.ts')).demoCommand(c),
  },
  simulate: {
    summary: "play a device profile's reference device on a real tty",
    usage:
      'tty2mqtt simulate --device ID --path TTY [--baud N] [--interval DURATION] [--count N] [--qos Q] [--sleep S] [-c FILE]',
    details:
      '  --device ID           the profile to play (from devices_dir of -c FILE, ./devices, or the shipped profiles)\n' +
      '  --path TTY            the tty to write to, e.g. one end of: socat -d -d pty,raw,echo=0 pty,raw,echo=0\n' +
      '  --baud N              baud rate (default 115200)\n' +
      "  --interval DURATION   time between readings (default: the profile's interval)\n" +
      '  --count N             stop after N readings (default: run until Ctrl-C)\n' +
      '  --qos Q               MQTT-SN profiles: PUBLISH QoS -1, 0, 1 or 2 (default 1)\n' +
      '  --sleep S             MQTT-SN profiles: sleep between readings (DISCONNECT with a duration of at\n' +
      '                        least S seconds, then wake with PINGREQ and collect what the gateway kept)\n',
    options: {
      ...configOption,
      device: { type: 'string' },
      path: { type: 'string' },
      baud: { type: 'string' },
      interval: { type: 'string' },
      count: { type: 'string' },
      qos: { type: 'string' },
      sleep: { type: 'string' },
    },
    run: async (c) => (await import('./simulate.ts')).simulateCommand(c),
  },
  learn: {
    summary: 'listen to a device (a port, or a file of captured lines) and draft its profile.yaml',
    usage: 'tty2mqtt learn <PORT | FILE> [--seconds N] [--baud N] [--id ID] [--out FILE [--force]]',
    positionals: true,
    details:
      '  PORT                a serial port (e.g. /dev/serial/by-id/…), opened like the daemon opens it; nothing is written to it\n' +
      '  FILE                a file of lines captured from the device (e.g. cat /dev/ttyUSB0 > capture.txt)\n' +
      '  --seconds N         how long to listen to a port (default 30)\n' +
      '  --baud N            baud rate of the port (default 115200)\n' +
      '  --id ID             the profile id (default: the folder of --out …/<ID>/profile.yaml, else my-device)\n' +
      '  --out FILE          write the draft there (e.g. devices/<ID>/profile.yaml) instead of to stdout\n' +
      '  --force             overwrite FILE when it exists\n\n' +
      'Infers the line format (kv, json, csv, mysensors), checksum and #seq, each field with its type and\n' +
      "observed range (widened so the next reading is not refused), units only when a key's name makes them\n" +
      'obvious, and the interval (a port only). Every guess is a "# guessed:" comment in the draft; what was\n' +
      'learned and the lines that fit no format go to stderr. Next: tty2mqtt try, then tty2mqtt check.\n' +
      'Exit codes: 0 a draft was written, 1 usage error, no lines, binary data or no known format.\n',
    options: {
      seconds: { type: 'string' },
      baud: { type: 'string' },
      id: { type: 'string' },
      out: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
    },
    run: async (c) => (await import('./learn.ts')).learnCommand(c),
  },
  flash: {
    summary: "program a board's firmware through the running daemon (the board stays on its port)",
    usage:
      'tty2mqtt flash <PORT-NAME> <FIRMWARE.hex | FIRMWARE.elf> [--verify | --no-verify] [--timeout DURATION] [-c FILE]\n' +
      '               [--url URL] [--username USER --password-file FILE]',
    positionals: true,
    details:
      "  PORT-NAME           a port of gateway.yaml (ports[].name); its profile's `mcu:` must match the board\n" +
      '  FIRMWARE            Intel HEX (the IDE\'s "Export compiled binary", arduino-cli compile --output-dir)\n' +
      '                      or the ELF the compiler wrote\n' +
      '  --verify            read the flash back after writing and compare (the default)\n' +
      '  --no-verify         do not\n' +
      '  --timeout DURATION  give up waiting for the result after this long (default 5m)\n' +
      '  -c, --config FILE   the gateway.yaml the daemon runs with (its broker, base topic and ports)\n' +
      "  --url URL           the broker to use (default: gateway.yaml's; the embedded broker's listener)\n" +
      "  --username USER     login on the broker (the embedded broker's users; default: mqtt.username)\n" +
      "  --password-file F   that login's password\n\n" +
      'The daemon must allow it (flash.allow: true). The image is checked here and again by the daemon:\n' +
      "whole (Intel HEX checksums), within the MCU's application area. The daemon then stops reading the\n" +
      'port, resets the board into its bootloader, checks its signature, writes and verifies, reopens the\n' +
      "port and reports the new firmware's first line. Progress and the result print here.\n" +
      'Exit codes: 0 flashed, 1 refused or failed (the port is read again either way), 78 configuration invalid.\n',
    options: {
      ...configOption,
      verify: { type: 'boolean' },
      'no-verify': { type: 'boolean' },
      timeout: { type: 'string' },
      url: { type: 'string' },
      username: { type: 'string' },
      'password-file': { type: 'string' },
    },
    run: async (c) => (await import('./flash.ts')).flashCommand(c),
  },
  try: {
    summary:
      'show what the daemon would publish for device lines, or why it would refuse them; opens nothing',
    usage:
      'tty2mqtt try <DEVICE-ID | PROFILE-PATH> [LINE…] [--json] [--port NAME] [--base TOPIC] [--gateway ID] [-c FILE]',
    positionals: true,
    details:
      '  DEVICE-ID           a profile id, looked up in devices_dir of -c FILE, ./devices, then the shipped profiles\n' +
      '  PROFILE-PATH        a profile.yaml or its folder (anything with a / or a .), e.g. ./devices/climate\n' +
      '  LINE…               the lines to try; without any, lines are read from stdin, one per line\n' +
      '  --json              one JSON object per line: outcome, reason, fields (raw and value), messages, replies\n' +
      '  --port NAME         the port name for {port} (default try; with -c, a configured port lends its vars)\n' +
      "  --base TOPIC        base_topic (default: -c FILE's, else tty2mqtt)\n" +
      "  --gateway ID        the gateway id for {gateway} (default: -c FILE's, else the hostname)\n" +
      '  -c, --config FILE   take devices_dir, base_topic, gateway id and port vars from this gateway.yaml\n\n' +
      "Each line goes through the daemon's own steps: max_bytes, checksum and #seq, the format's decoder,\n" +
      'field validation (a failing field is dropped, the rest published) and topic mapping. Line protocol\n' +
      'profiles only (MQTT-SN devices send binary packets). Nothing is opened, written or published.\n' +
      'Exit codes: 0 every line accepted, 2 at least one line would be refused, 78 profile invalid or not\n' +
      'found, 1 usage error.\n',
    options: {
      ...configOption,
      json: { type: 'boolean' },
      port: { type: 'string' },
      base: { type: 'string' },
      gateway: { type: 'string' },
    },
    run: async (c) => (await import('./try.ts')).tryCommand(c),
  },
};

export const HELP =
  'tty2mqtt — serial devices (text lines, MQTT-SN) to MQTT, validated and never lost\n\n' +
  'Usage: tty2mqtt <command> [options]\n\nCommands:\n' +
  Object.entries(COMMANDS)
    .map(([name, spec]) => `  ${name.padEnd(10)}${spec.summary}`)
    .join('\n') +
  "\n\nRun `tty2mqtt <command> --help` for a command's options. `tty2mqtt --version` prints the version.\n";

export function commandHelp(name: string): string {
  const spec = COMMANDS[name];
  if (spec === undefined) return HELP;
  return `${spec.usage}\n\n${spec.summary}\n\n${spec.details}`;
}
