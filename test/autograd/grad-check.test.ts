// Runs every gradient-check case of every op family, and checks that every differentiable op has one.

import { describe, expect, it } from 'vitest';
import { gradCheck } from '../../src/autograd/grad-check.ts';
import { allOps, isDifferentiableOp } from '../../src/autograd/rules/index.ts';
import type { GraphNode } from '../../src/autograd/node.ts';
import type { OpName } from '../../src/tensor/op-table.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import type { GradCase } from '../helpers/grad-case.ts';
import { elementwiseCases } from './cases/elementwise.ts';
import { movementCases, reduceCases } from './cases/reduce-movement.ts';
import { indexingCases } from './cases/indexing.ts';
import { lossCases, routingCases } from './cases/loss-routing.ts';
import { attentionCases, normalizationCases, recurrentCases } from './cases/recurrent-norm.ts';
import { convCases, linalgCases } from './cases/linalg-conv.ts';

const families: Record<string, GradCase[]> = {
  elementwise: elementwiseCases,
  reduce: reduceCases,
  movement: movementCases,
  indexing: indexingCases,
  loss: lossCases,
  routing: routingCases,
  recurrent: recurrentCases,
  normalization: normalizationCases,
  attention: attentionCases,
  linalg: linalgCases,
  conv: convCases,
};

/** Ops recorded in the graph behind `outputs` (so a case cannot claim an op it never runs). */
function opsInGraph(outputs: Tensor[]): Set<OpName> {
  const seen = new Set<OpName>();
  const visited = new Set<GraphNode>();
  const stack = outputs.map((y) => y.node).filter((n): n is GraphNode => n !== null);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (visited.has(node)) continue;
    visited.add(node);
    seen.add(node.op);
    for (const x of node.context.inputs) if (x.node) stack.push(x.node);
  }
  return seen;
}

for (const [family, cases] of Object.entries(families)) {
  describe(`gradient checks: ${family}`, () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const inputs = c.inputs();
      const outputs = c.fn(...inputs);
      const recorded = opsInGraph(Array.isArray(outputs) ? outputs : [outputs]);
      for (const op of c.ops) expect(recorded.has(op), `case claims '${op}' but the graph does not contain it`).toBe(true);
      const result = gradCheck(c.fn, c.inputs(), c.options);
      expect(result.failures).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.checked).toBeGreaterThan(0);
    });
  });
}

describe('gradient-check coverage', () => {
  it('every differentiable op in the rule table has at least one gradient-check case', () => {
    const covered = new Set(Object.values(families).flatMap((cases) => cases.flatMap((c) => c.ops)));
    const missing = allOps.filter((op) => isDifferentiableOp(op) && !covered.has(op));
    expect(missing).toEqual([]);
  });
});
