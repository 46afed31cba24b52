// The built-in classes are learnable but not given away by one feature: a nearest-centroid check on both feature sets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../../src/data/synthetic/index.ts';
import { loadCaptureFolder } from '../../../src/data/sources/index.ts';
import { extractFeatures, Standardiser } from '../../../src/data/features/index.ts';
import { stratifiedSplit } from '../../../src/data/split.ts';

const dir = mkdtempSync(join(tmpdir(), 'netmoe-separability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Test accuracy of a nearest-centroid classifier (Euclidean, standardised features) restricted to `columns`. */
function nearestCentroidAccuracy(x: Float32Array, cols: number, labels: Int32Array, numClasses: number, train: Int32Array, test: Int32Array, columns: readonly number[]): number {
  const centroids = new Float64Array(numClasses * cols);
  const counts = new Float64Array(numClasses);
  for (const i of train) {
    counts[labels[i]!]!++;
    for (const j of columns) centroids[labels[i]! * cols + j]! += x[i * cols + j]!;
  }
  for (let k = 0; k < numClasses; k++) for (const j of columns) centroids[k * cols + j]! /= counts[k]!;
  let correct = 0;
  for (const i of test) {
    let best = -1;
    let bestDistance = Infinity;
    for (let k = 0; k < numClasses; k++) {
      let d = 0;
      for (const j of columns) d += (x[i * cols + j]! - centroids[k * cols + j]!) ** 2;
      if (d < bestDistance) [best, bestDistance] = [k, d];
    }
    if (best === labels[i]) correct++;
  }
  return correct / test.length;
}

describe('synthetic classes', () => {
  it('are separable by all features together but by no single feature', async () => {
    generateSyntheticDataset(dir, { seed: 'separability', flowsPerClass: 25 });
    const data = await loadCaptureFolder(dir);
    const K = data.classNames.length;
    const split = stratifiedSplit(data.labels, { seed: 's', train: 0.7, validation: 0, test: 0.3 });
    for (const featureSet of ['packet-sequence', 'flow-statistics']) {
      const x = extractFeatures(data.flows, featureSet);
      Standardiser.fit(x.data, x.cols, split.train).transform(x.data);
      const everything = [...Array(x.cols).keys()];
      const all = nearestCentroidAccuracy(x.data, x.cols, data.labels, K, split.train, split.test, everything);
      const single = Math.max(...everything.map((j) => nearestCentroidAccuracy(x.data, x.cols, data.labels, K, split.train, split.test, [j])));
      // Chance is 1/14 = 0.07. Even this linear-ish baseline does well with every feature (0.71-0.89 over seeds);
      // the best single feature stays near 0.4-0.5, so no one constant separates the classes.
      expect(all, featureSet).toBeGreaterThan(0.65);
      expect(single, featureSet).toBeLessThan(0.6);
      expect(all - single, featureSet).toBeGreaterThan(0.2);
    }
  });
});
