// Benchmarks of softmax + cross-entropy at DCL-MoE's training shape (B=64, 20 classes), fused vs composed, and of sparse MoE routing.

import type { BenchCase } from '../harness.ts';
import * as nm from '../../src/index.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';

/** Leaf gradients are kept out of tidy scopes: hand them back to the pool after each timed call. */
function clearGrads(ts: Tensor[]): void {
  for (const t of ts) {
    t.grad?.dispose();
    t.grad = null;
  }
}

/** Cross-entropy composed from primitives: -mean(logSoftmax(x)[n, label_n]) via a flat gather. */
function composedCrossEntropy(logits: Tensor, flatLabelIndex: Tensor): Tensor {
  const [B, C] = logits.shape;
  return nm.neg(nm.mean(nm.gather(nm.reshape(nm.logSoftmax(logits), [B * C]), flatLabelIndex, 0)));
}

/** softmax's backward written with front-end ops: what the fused softmaxBackward kernel replaces. */
function composedSoftmaxBackward(dy: Tensor, y: Tensor): Tensor {
  return nm.mul(y, nm.sub(dy, nm.sum(nm.mul(dy, y), -1, true)));
}

function softmaxCeCases(B: number, C: number): BenchCase[] {
  const rng = new nm.Rng(3);
  const logits = nm.randn([B, C], { rng, std: 2, requiresGrad: true }).keep();
  const labelValues = Array.from({ length: B }, () => rng.int(C));
  const labels = nm.tensor(labelValues, { dtype: 'int32' }).keep();
  const flatLabelIndex = nm.tensor(labelValues.map((y, n) => n * C + y), { dtype: 'int32' }).keep();
  const dy = nm.randn([B, C], { rng }).keep();
  const y = nm.noGrad(() => nm.softmax(logits)).keep();
  const shape = `B=${B} C=${C}`;
  const step = (loss: () => Tensor) => (): void =>
    nm.tidy(() => {
      loss().backward();
      clearGrads([logits]);
    });
  return [
    { name: `softmax forward ${shape}`, fn: () => nm.tidy(() => void nm.noGrad(() => nm.softmax(logits))) },
    {
      name: `softmax forward+backward (random dy) ${shape}`,
      fn: () =>
        nm.tidy(() => {
          nm.softmax(logits).backward(dy);
          clearGrads([logits]);
        }),
    },
    { name: `softmax backward, fused kernel ${shape}`, fn: () => nm.tidy(() => void nm.softmaxBackward(dy, y, 1)) },
    { name: `softmax backward, composed from 4 ops ${shape}`, fn: () => nm.tidy(() => void nm.noGrad(() => composedSoftmaxBackward(dy, y))) },
    { name: `crossEntropy fused forward+backward ${shape}`, fn: step(() => nm.crossEntropy(logits, labels)) },
    { name: `crossEntropy composed (logSoftmax+gather+mean) fwd+bwd ${shape}`, fn: step(() => composedCrossEntropy(logits, flatLabelIndex)) },
    { name: `softmax + nllFromProbs forward+backward ${shape}`, fn: step(() => nm.nllFromProbs(nm.softmax(logits), labels)) },
  ];
}

/** A sparse MoE step without the experts' own maths: route, dispatch, combine, backward into x, logits and outputs. */
function routingCases(N: number, D: number, E: number, k: number): BenchCase[] {
  const rng = new nm.Rng(4);
  const x = nm.randn([N, D], { rng, requiresGrad: true }).keep();
  const logits = nm.randn([N, E], { rng, requiresGrad: true }).keep();
  const scale = nm.randn([D], { rng, requiresGrad: true }).keep();
  const dy = nm.randn([N, D], { rng }).keep();
  const shape = `N=${N} D=${D} E=${E} k=${k}`;
  const layer = (): Tensor => {
    const { weights, indices } = nm.topkSoftmax(logits, k);
    const plan = nm.routingPlan(indices, E);
    // Each "expert" is one multiply, so the timing is the routing machinery itself.
    return nm.moeCombine(nm.moeDispatch(x, plan).map((xe) => nm.mul(xe, scale)), weights, plan);
  };
  return [
    { name: `topkSoftmax ${shape}`, fn: () => nm.tidy(() => void nm.noGrad(() => nm.topkSoftmax(logits, k))) },
    { name: `route+dispatch+combine forward ${shape}`, fn: () => nm.tidy(() => void nm.noGrad(layer)) },
    {
      name: `route+dispatch+combine forward+backward ${shape}`,
      fn: () =>
        nm.tidy(() => {
          layer().backward(dy);
          clearGrads([x, logits, scale]);
        }),
    },
  ];
}

export const suite = {
  title: 'softmax, cross-entropy and MoE routing',
  cases: (): BenchCase[] => [...softmaxCeCases(64, 20), ...routingCases(64, 64, 8, 2)],
};
