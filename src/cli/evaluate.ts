// `npm run evaluate -- --model <dir> --data <path>`: metrics of a saved model on (new) labelled data.

import { loadDclInputs } from '../data/index.ts';
import { loadModelDir } from '../train/model-dir.ts';
import { evaluate } from '../train/trainer.ts';
import { classificationReport, formatReport } from '../train/metrics.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { type FlagSpec, UsageError, isPositiveInteger, numberFlag, parseFlags, runMain, usage } from './args.ts';
import { useDefaultBackends, useDefaultThreads } from '../kernels/default-backends.ts';

const SPEC = {
  model: { type: 'string', value: '<dir>', description: 'model directory written by npm run train (its model/ folder)' },
  data: { type: 'string', value: '<path>', description: 'labelled dataset, any format npm run train reads' },
  json: { type: 'string', value: '<file>', description: 'also write the metrics as JSON to this file' },
  threads: { type: 'string', value: '<n>', description: 'CPU threads for the WebAssembly kernels (or NETMOE_THREADS)', default: 'min(2, cores)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} satisfies Record<string, FlagSpec>;

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2), SPEC);
  if (flags.help) {
    console.log(usage('npm run evaluate --', '--model <dir> --data <path>', SPEC));
    return;
  }
  useDefaultBackends();
  await useDefaultThreads(flags.threads === undefined ? undefined : numberFlag('threads', flags.threads, 1, isPositiveInteger, 'a positive integer'));
  if (!flags.model) throw new UsageError('--model <dir> is required');
  if (!flags.data) throw new UsageError('--data <path> is required');
  const { model, meta, standardiser } = loadModelDir(flags.model);
  const inputs = await loadDclInputs(flags.data, { featureSet: meta.featureSet });
  if (inputs.features.cols !== meta.model.numFeatures) {
    throw new Error(`${flags.data}: ${inputs.features.cols} features per flow, the model expects ${meta.model.numFeatures}`);
  }
  // Map the dataset's class names onto the model's; a class the model never saw cannot be scored.
  const unknown = inputs.classNames.filter((name) => !meta.classNames.includes(name));
  if (unknown.length > 0) throw new Error(`${flags.data}: classes the model was not trained on: ${unknown.join(', ')} (model classes: ${meta.classNames.join(', ')})`);
  const y = Int32Array.from(inputs.labels, (c) => meta.classNames.indexOf(inputs.classNames[c]));
  const x = standardiser.transform(Float32Array.from(inputs.features.data));
  const C = meta.classNames.length;
  const result = evaluate(model, { x, y }, meta.model.numFeatures, C);
  const report = classificationReport(y, result.predictions, meta.classNames);
  console.log(`netmoe evaluate: ${meta.model.kind} model on ${flags.data} (${y.length} flows)\n`);
  console.log(formatReport(report));
  if (flags.json) {
    writeFileAtomic(flags.json, JSON.stringify({ model: flags.model, data: flags.data, loss: result.loss, report }, null, 2) + '\n');
    console.log(`\nmetrics: ${flags.json}`);
  }
}

await runMain('evaluate', main);
