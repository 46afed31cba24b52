// Command-line parsing shared by the netmoe commands: strict flags, typed numbers, and errors that name the flag.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in --help, e.g. "<n>". */
  value?: string;
  description: string;
  default?: string | boolean;
}

export class UsageError extends Error {}

/** Parse argv strictly: unknown flags and missing values are UsageErrors naming the flag. */
export function parseFlags<S extends Record<string, FlagSpec>>(
  argv: string[],
  spec: S,
  options: { positionals?: boolean } = {},
): { flags: { [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } {
  const config: ParseArgsConfig = {
    args: argv,
    options: Object.fromEntries(Object.entries(spec).map(([name, f]) => [name, f.short ? { type: f.type, short: f.short } : { type: f.type }])),
    strict: true,
    allowPositionals: options.positionals ?? false,
  };
  try {
    const { values, positionals } = parseArgs(config);
    return { flags: values as never, positionals };
  } catch (error) {
    // Node's messages already name the flag ("Unknown option '--epoch'"); keep them, add the hint.
    throw new UsageError(`${(error as Error).message.replace(/\. To specify a positional argument.*$/s, '')}`);
  }
}

/** A number flag: must parse fully and satisfy `check` (named in the error). */
export function numberFlag(name: string, raw: string | undefined, fallback: number, check: (v: number) => boolean = Number.isFinite, rule = 'a finite number'): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !check(v)) throw new UsageError(`--${name}: expected ${rule}, got '${raw}'`);
  return v;
}

export const isPositiveInteger = (v: number): boolean => Number.isInteger(v) && v > 0;

/** The --help text of a command. */
export function usage(command: string, synopsis: string, spec: Record<string, FlagSpec>, footer = ''): string {
  const rows = Object.entries(spec).map(([name, f]) => {
    const left = `  ${f.short ? `-${f.short}, ` : '    '}--${name}${f.value ? ` ${f.value}` : ''}`;
    const def = f.default !== undefined && f.default !== false ? ` (default: ${f.default})` : '';
    return `${left.padEnd(30)} ${f.description}${def}`;
  });
  return [`Usage: ${command} ${synopsis}`, '', 'Options:', ...rows, footer ? `\n${footer}` : ''].join('\n');
}

/** Run a command's main: print UsageErrors with the hint and exit 2, other errors with exit 1. */
export async function runMain(command: string, main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${command}: ${error.message}\nRun with --help for the options.`);
      process.exitCode = 2;
    } else {
      console.error(`${command}: ${(error as Error).message}`);
      if (process.env.NETMOE_DEBUG) console.error((error as Error).stack);
      process.exitCode = 1;
    }
  }
}
