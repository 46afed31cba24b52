// `npm run data -- <command>`: look at datasets before training on them (inspect) and locate the built-in one.
import { parseArgs } from 'node:util';
import { ensureBuiltinDataset } from '../data/synthetic/index.ts';
import { inspectDataset, loadDataset, LABEL_FILE_FORMAT, type LoadDatasetOptions } from '../data/sources/index.ts';

const USAGE = `Usage: npm run data -- <command> [options]

Commands:
  inspect [path]     Per-class flow, packet and byte counts, link types, protocols and warnings of a dataset.
                     path: a folder of captures (one sub-folder per class), a .pcap/.pcapng file, a .csv feature
                     table, a CertTA folder or valid.json, or USTC-TFC2016 idx files. Default: the built-in dataset.
  builtin            Generate the built-in synthetic dataset if needed and print its folder.

Options:
  --labels <file>          label file for a single capture (${LABEL_FILE_FORMAT})
  --label-column <name>    label column of a CSV feature table (default: label)
  --rows-per-class <n>     USTC-TFC2016: read only the first n rows of each class
  --idle-timeout <s>       flow idle timeout in seconds (default: 120)
  --max-warnings <n>       warnings listed one by one (default: 20)
  -h, --help               show this help`;

class UsageError extends Error {}

const OPTIONS = {
  labels: { type: 'string' },
  'label-column': { type: 'string' },
  'rows-per-class': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-warnings': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function positiveNumber(flag: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new UsageError(`--${flag}: expected a positive ${integer ? 'integer' : 'number'}, got '${raw}'`);
  }
  return v;
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    // Node's message names the flag; its hint about positionals starting with '-' only confuses here.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return;
  }
  const [command, ...rest] = positionals;
  if (command === 'builtin') {
    if (rest.length > 0) throw new UsageError(`builtin takes no arguments (got ${rest.join(' ')})`);
    console.log(ensureBuiltinDataset());
    return;
  }
  if (command !== 'inspect') throw new UsageError(`unknown command '${command}'`);
  if (rest.length > 1) throw new UsageError(`inspect takes one path (got ${rest.length})`);
  const path = rest[0] ?? ensureBuiltinDataset();
  const rowsPerClass = positiveNumber('rows-per-class', values['rows-per-class'], true);
  const idleTimeout = positiveNumber('idle-timeout', values['idle-timeout'], false);
  const options: LoadDatasetOptions = {
    ...(values.labels ? { labels: values.labels } : {}),
    ...(values['label-column'] ? { csv: { labelColumn: values['label-column'] } } : {}),
    ...(rowsPerClass ? { ustc: { rowsPerClass } } : {}),
    ...(idleTimeout ? { flow: { idleTimeout } } : {}),
  };
  const started = performance.now();
  const data = await loadDataset(path, options);
  console.log(inspectDataset(data, positiveNumber('max-warnings', values['max-warnings'], true) ?? 20));
  console.log(`\nread in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// `npm run data -- inspect x | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`data: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(`data: ${(error as Error).message}`);
    process.exitCode = 1;
  }
});
