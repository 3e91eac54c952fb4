// `tty2mqtt learn <path|port>`: listens to a live port (or reads a file of captured lines),
// infers the line format, envelope, fields and interval (src/learn/), and writes a draft
// profile.yaml with `# guessed:` comments to stdout or --out FILE (never over an existing
// file without --force). The report — what was learned, which lines fit no format — goes
// to stderr, so `tty2mqtt learn cap.txt > profile.yaml` keeps the two apart.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import { profileSchema } from '../config/schema.ts';
import { parseYaml } from '../config/yaml-source.ts';
import { ErrorCodes, GatewayError } from '../errors.ts';
import { draftProfile, example, unfitSummary } from '../learn/draft.ts';
import type { Draft } from '../learn/draft.ts';
import { writeProfile } from '../learn/profile-writer.ts';
import { sampleFile } from '../learn/read-file.ts';
import { samplePort } from '../learn/read-port.ts';
import type { Sample } from '../learn/sample.ts';
import { packagePath } from '../package-root.ts';
import type { CommandContext } from './context.ts';
import { stringArg } from './context.ts';

export const DEFAULT_LEARN_SECONDS = 30;
const DEFAULT_BAUD = 115200;
const DEFAULT_ID = 'my-device';
/** An hour: longer is a mistake, and MAX_LINES bounds what is kept anyway. */
const MAX_SECONDS = 3600;
const PROFILE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function usage(message: string): GatewayError {
  return new GatewayError(ErrorCodes.USAGE, `${message} (see: tty2mqtt learn --help)`);
}

function exists(file: string): GatewayError {
  return usage(`${file} exists; pass --force to overwrite it`);
}

function positiveInteger(context: CommandContext, name: string, fallback: number, max: number): number {
  const text = stringArg(context, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max)
    throw usage(`--${name} must be a whole number from 1 to ${max}`);
  return n;
}

/** --id, else the folder of `--out …/<id>/profile.yaml`, else my-device. */
function profileId(context: CommandContext, out: string | undefined): string {
  const given = stringArg(context, 'id');
  const folder = out !== undefined && basename(out) === 'profile.yaml' ? basename(dirname(out)) : undefined;
  const id = given ?? (folder !== undefined && PROFILE_ID.test(folder) ? folder : DEFAULT_ID);
  if (!PROFILE_ID.test(id))
    throw usage(`--id ${JSON.stringify(id)} must be lowercase letters, digits, _ or -`);
  if (folder !== undefined && given !== undefined && folder !== given)
    throw usage(
      `--id ${given} but --out is in a folder named ${folder}: a profile's folder is named after its id`,
    );
  return id;
}

async function sample(context: CommandContext, target: string): Promise<Sample> {
  const path = resolve(context.cwd, target);
  const info = await stat(path).catch(() => null);
  if (info === null) throw usage(`${target}: no such file or serial port`);
  if (info.isCharacterDevice()) {
    const seconds = positiveInteger(context, 'seconds', DEFAULT_LEARN_SECONDS, MAX_SECONDS);
    const baudRate = positiveInteger(context, 'baud', DEFAULT_BAUD, 4_000_000);
    context.stderr.write(
      `listening to ${target} at ${baudRate} baud for ${seconds} s (Ctrl-C stops early)…\n`,
    );
    return samplePort({ path, baudRate, durationMs: seconds * 1000, signal: context.signal });
  }
  if (!info.isFile()) throw usage(`${target} is neither a file of captured lines nor a serial port`);
  return sampleFile(path, target);
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./=,:+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function report(draft: Draft, sampled: Sample): string {
  const fields = draft.fields.map((f) => `${f.name} (${f.spec.type})`).join(', ');
  let text = `learned from ${draft.total} lines of ${draft.source}: format ${draft.line.format}`;
  text += `, checksum ${draft.line.checksum}, ack ${draft.line.ack}`;
  text += draft.interval === null ? ', interval not measured' : `, interval ${draft.interval}`;
  text +=
    draft.mysensors !== null
      ? `, ${draft.mysensors.seen.length} node values seen\n`
      : `\nfields: ${fields}\n`;
  const unfit = unfitSummary(draft);
  if (unfit !== null) text += `${unfit}\n`;
  const discarded = Object.entries(sampled.discards).map(([reason, n]) => `${n} ${reason}`);
  if (discarded.length > 0) text += `not read as lines: ${discarded.join(', ')}\n`;
  if (sampled.overflow > 0)
    text += `${sampled.overflow} lines after the first ${sampled.lines.length} were not looked at\n`;
  return text;
}

export async function learnCommand(context: CommandContext): Promise<number> {
  const [target, ...extra] = context.positionals;
  if (target === undefined) throw usage('learn needs a capture file or a serial port');
  if (extra.length > 0) throw usage(`learn takes one file or port, got also ${extra.join(' ')}`);
  const outArg = stringArg(context, 'out');
  const out = outArg === undefined ? undefined : resolve(context.cwd, outArg);
  const id = profileId(context, out);
  // Refused before listening for half a minute, and again at the write (wx) in case it appeared since.
  if (out !== undefined && context.args['force'] !== true && (await stat(out).catch(() => null)) !== null)
    throw exists(outArg ?? out);
  const sampled = await sample(context, target);
  const draft = draftProfile(sampled, id);
  const schemaFile = packagePath('schema', 'profile.schema.json');
  const first = draft.accepted[0];
  const profileArg = outArg ?? `./devices/${id}/profile.yaml`;
  const text = writeProfile(draft, {
    schema: out === undefined ? schemaFile : relative(dirname(out), schemaFile),
    tryHint: `tty2mqtt try ${shellQuote(profileArg)}${first === undefined ? '' : ` ${shellQuote(first)}`}`,
  });
  // The draft must load as a profile: a failure here is a bug in learn, not in the device.
  const parsed = parseYaml('(draft)', '(draft)', text);
  const valid = parsed.usable && profileSchema.safeParse(parsed.source.doc.toJS()).success;
  if (!valid) throw new Error(`learn wrote a draft that is not a valid profile (a bug): ${example(text)}`);
  context.stderr.write(report(draft, sampled));
  if (out === undefined) {
    context.stdout.write(text);
    return 0;
  }
  await mkdir(dirname(out), { recursive: true });
  try {
    await writeFile(out, text, { flag: context.args['force'] === true ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists(outArg ?? out);
    throw error;
  }
  context.stderr.write(
    `wrote ${outArg ?? out}; next: tty2mqtt try ${shellQuote(profileArg)} LINE…, then tty2mqtt check\n`,
  );
  return 0;
}
