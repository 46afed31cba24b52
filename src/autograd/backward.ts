// Reverse-mode autodiff: an iterative topological sort from the loss, then gradient rules in reverse order.

import { formatShape, shapesEqual } from '../tensor/shape.ts';
import { type Tensor, tensorFromData } from '../tensor/tensor.ts';
import { allocateArray } from '../tensor/dtype.ts';
import { keep } from '../tensor/storage.ts';
import { add } from '../tensor/ops/elementwise.ts';
import { copy } from '../tensor/ops/movement.ts';
import { gradRules } from './rules/index.ts';
import type { GraphNode } from './node.ts';
import type { GradRule } from './rules/types.ts';
import type { OpName } from '../tensor/op-table.ts';
import { noGrad } from './grad-mode.ts';

export interface BackwardOptions {
  /** Keep the graph so backward can run again through it (default: free it as we go). */
  retainGraph?: boolean;
}

/**
 * Accumulate d(root)/d(leaf) into `leaf.grad` for every leaf with `requiresGrad` that `root` depends on.
 *
 * NOTE: backward itself runs without recording a graph (no higher-order gradients), which keeps it fast.
 */
export function backward(root: Tensor, dy?: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) throw new Error('backward: tensor does not require grad (no parameter it depends on has requiresGrad)');
  if (dy === undefined) {
    if (root.size !== 1) {
      throw new Error(`backward: output has shape ${formatShape(root.shape)}; pass an upstream gradient for a non-scalar output`);
    }
    const one = allocateArray(root.dtype, 1);
    one[0] = 1;
    dy = tensorFromData(one, root.shape, root.dtype);
  } else if (!shapesEqual(dy.shape, root.shape) || dy.dtype !== root.dtype) {
    throw new Error(`backward: upstream gradient ${dy.dtype}${formatShape(dy.shape)} does not match output ${root.dtype}${formatShape(root.shape)}`);
  }
  const upstream = dy;
  noGrad(() => runBackward(root, upstream, options.retainGraph ?? false));
}

function runBackward(root: Tensor, dy: Tensor, retainGraph: boolean): void {
  if (root.node === null) {
    accumulateLeaf(root, dy);
    return;
  }
  const order = topologicalOrder(root.node);
  const grads = new Map<Tensor, Tensor>([[root, dy]]);

  // Reverse topological order: a node runs only after every consumer of its outputs has sent its gradient.
  for (let n = order.length - 1; n >= 0; n--) {
    const node = order[n];
    const ctx = node.context;
    const dys = ctx.outputs.map((y) => grads.get(y) ?? null);
    for (const y of ctx.outputs) grads.delete(y);
    if (dys.every((g) => g === null)) {
      if (!retainGraph) node.release();
      continue;
    }
    const rule = gradRules[node.op] as GradRule<OpName>;
    const dxs = rule(dys, ctx);
    ctx.inputs.forEach((x, i) => {
      const dx = dxs[i];
      if (!ctx.needsGrad[i] || dx === null || dx === undefined) return;
      if (!shapesEqual(dx.shape, x.shape)) {
        throw new Error(`backward: rule of '${node.op}' returned gradient ${formatShape(dx.shape)} for input ${i} of shape ${formatShape(x.shape)}`);
      }
      if (x.node === null) {
        accumulateLeaf(x, dx);
      } else {
        const previous = grads.get(x);
        grads.set(x, previous ? add(previous, dx) : dx); // fan-out: gradients from every use add up
      }
    });
    if (!retainGraph) node.release();
  }
}

function accumulateLeaf(leaf: Tensor, dx: Tensor): void {
  if (!leaf.requiresGrad) return;
  // Gradients outlive any tidy scope the backward pass runs in: the optimiser reads them afterwards.
  // NOTE: always a fresh buffer, never `dx` itself: rules pass dy straight through (add, copy, reshape views),
  // so two leaves could otherwise share one gradient that in-place updates (L2, clipping) would change twice.
  const previous = leaf.grad;
  leaf.grad = keep(previous ? add(previous, dx) : copy(dx));
  // The leaf owns its gradient (zeroGrad disposes it): the partial sum it replaces is freed here, or a leaf
  // used twice would leak one buffer per backward (a device array per step on the GPU backend).
  previous?.dispose();
}

/** Nodes reachable from `rootNode`, each after all nodes it depends on. Iterative: LSTM graphs are deep. */
function topologicalOrder(rootNode: GraphNode): GraphNode[] {
  const order: GraphNode[] = [];
  const visited = new Set<GraphNode>([rootNode]);
  // Each stack frame is a node and the index of the next input to visit (an explicit DFS post-order).
  const stack: { node: GraphNode; next: number }[] = [{ node: rootNode, next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const inputs = frame.node.context.inputs;
    if (frame.next < inputs.length) {
      const child = inputs[frame.next++].node;
      if (child !== null && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      order.push(frame.node);
      stack.pop();
    }
  }
  return order;
}
