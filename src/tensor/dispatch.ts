// Dispatch: the one path from a front-end op call to a kernel, recording the autograd node on the way.

import { pickKernel } from '../kernels/backend.ts';
import { referenceBackend } from '../kernels/cpu/index.ts';
import { registerBackend } from '../kernels/backend.ts';
import { GraphNode } from '../autograd/node.ts';
import { isGradEnabled } from '../autograd/grad-mode.ts';
import { gradRules } from '../autograd/rules/index.ts';
import { isDifferentiable } from '../autograd/rules/types.ts';
import type { OpAttrs, OpName } from './op-table.ts';
import type { Tensor } from './tensor.ts';
import { isFloat } from './dtype.ts';

let referenceRegistered = false;

/**
 * Run a primitive op: pick its kernel (src/kernels/backend.ts), run it, and when any input requires a
 * gradient (and grad mode is on) attach a graph node to the outputs so backward can find the op's rule.
 * Front-end functions in ./ops validate shapes before calling this.
 */
export function runOp<K extends OpName>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor[] {
  if (!referenceRegistered) {
    registerBackend(referenceBackend, { fallback: true });
    referenceRegistered = true;
  }
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].disposed) throw new Error(`${op}: input ${i} was disposed`);
  }
  const { outputs, saved = [] } = pickKernel(op, inputs, attrs)(inputs, attrs);
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    const rule = gradRules[op];
    if (isDifferentiable(rule)) {
      const node = new GraphNode(op, inputs, outputs, saved, attrs);
      for (const y of outputs) {
        if (!isFloat(y.dtype)) continue; // indices (top-k, argmax) carry no gradient
        y.requiresGrad = true;
        y.node = node;
      }
    }
  }
  return outputs;
}
