// A graph node: the op that produced some tensors, what its gradient rule needs, and how to let go of it.

import type { OpAttrs, OpName } from '../tensor/op-table.ts';
import type { Tensor } from '../tensor/tensor.ts';

/** What a gradient rule may look at. */
export interface GradContext<K extends OpName = OpName> {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** Extra tensors the forward kernel kept for backward (LSTM gates, max-pool switches, dropout masks...). */
  readonly saved: readonly Tensor[];
  readonly attrs: OpAttrs[K];
  /** needsGrad[i] is false when inputs[i] does not require a gradient: the rule may return null for it. */
  readonly needsGrad: readonly boolean[];
}

/**
 * Records one op application. It hangs off its outputs (`tensor.node`) and points back to its inputs, so
 * the graph is reachable from the loss. `release()` drops the references once backward has used them.
 */
export class GraphNode<K extends OpName = OpName> {
  private ctx: GradContext<K> | null;

  constructor(
    readonly op: K,
    inputs: readonly Tensor[],
    outputs: readonly Tensor[],
    saved: readonly Tensor[],
    attrs: OpAttrs[K],
  ) {
    this.ctx = { inputs, outputs, saved, attrs, needsGrad: inputs.map((t) => t.requiresGrad) };
  }

  get released(): boolean {
    return this.ctx === null;
  }

  get context(): GradContext<K> {
    if (this.ctx === null) {
      throw new Error(`backward: the graph through '${this.op}' was already freed by an earlier backward(); pass { retainGraph: true } to run backward twice`);
    }
    return this.ctx;
  }

  /** Drop inputs, outputs and saved tensors so they can be garbage-collected. */
  release(): void {
    this.ctx = null;
  }
}
