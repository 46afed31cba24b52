// The Module base: named parameters and children, train/eval mode, parameter counts and a Keras-like summary.

import type { Tensor } from '../tensor/tensor.ts';
import { keep } from '../tensor/storage.ts';

export interface ParameterOptions {
  /** Whether the L2 penalty / weight decay applies (weights yes, biases and norm scales no). */
  decay?: boolean;
}

export interface NamedParameter {
  name: string;
  tensor: Tensor;
  decay: boolean;
}

/** Records the output shape of every module called during a summary pass. */
let summaryTrace: { module: Module; outputShape: readonly number[] }[] | null = null;

/**
 * A layer or model. Subclasses register parameters and child modules in their constructor and implement
 * `forward`; callers use `call` (forward plus bookkeeping, like Keras' __call__).
 *
 * @example
 * class Affine extends Module {
 *   w = this.addParameter('kernel', glorotUniform([4, 2], { rng }));
 *   forward(x: Tensor) { return x.matmul(this.w); }
 * }
 */
export abstract class Module {
  protected training = true;
  private readonly ownParameters = new Map<string, { tensor: Tensor; decay: boolean }>();
  private readonly children = new Map<string, Module>();

  abstract forward(...inputs: Tensor[]): Tensor;

  /** Run forward (and record the output shape when a summary is being traced). */
  call(...inputs: Tensor[]): Tensor {
    const y = this.forward(...inputs);
    summaryTrace?.push({ module: this, outputShape: y.shape });
    return y;
  }

  /** Register a trainable tensor: marks it requiresGrad and keeps it alive outside any tidy scope. */
  protected addParameter(name: string, tensor: Tensor, options: ParameterOptions = {}): Tensor {
    if (this.ownParameters.has(name)) throw new Error(`${this.constructor.name}: parameter '${name}' registered twice`);
    tensor.requireGrad();
    tensor.name = name;
    keep(tensor);
    this.ownParameters.set(name, { tensor, decay: options.decay ?? true });
    return tensor;
  }

  protected addModule<M extends Module>(name: string, module: M): M {
    if (this.children.has(name)) throw new Error(`${this.constructor.name}: child '${name}' registered twice`);
    this.children.set(name, module);
    return module;
  }

  /** All parameters, depth-first, with dotted names ("dense.experts.lstm.kernel"). */
  namedParameters(prefix = ''): NamedParameter[] {
    const out: NamedParameter[] = [];
    for (const [name, p] of this.ownParameters) out.push({ name: prefix + name, tensor: p.tensor, decay: p.decay });
    for (const [name, child] of this.children) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map((p) => p.tensor);
  }

  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Training mode (dropout active). Applies to all children. */
  train(flag = true): this {
    this.training = flag;
    for (const child of this.children.values()) child.train(flag);
    return this;
  }

  /** Inference mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  get isTraining(): boolean {
    return this.training;
  }

  /** Clear the gradients of every parameter (call before each backward). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /**
   * A Keras-like table: each called sub-module with its output shape and parameter count, in call order.
   * Runs one forward pass on `example` (shape [B, ...]) to learn the shapes.
   */
  summary(example: Tensor, name = this.constructor.name): string {
    const trace: { module: Module; outputShape: readonly number[] }[] = [];
    summaryTrace = trace;
    try {
      this.call(example);
    } finally {
      summaryTrace = null;
    }
    const paths = new Map<Module, string>();
    const walk = (m: Module, path: string): void => {
      paths.set(m, path);
      for (const [n, c] of m.children) walk(c, path ? `${path}.${n}` : n);
    };
    walk(this, '');
    const ownCount = (m: Module): number => [...m.ownParameters.values()].reduce((n, p) => n + p.tensor.size, 0);
    const rows = trace
      .filter((t) => t.module !== this && t.module.children.size === 0) // leaf layers, as Keras lists them
      .map((t) => [`${paths.get(t.module) || '?'} (${t.module.constructor.name})`, `(None, ${t.outputShape.slice(1).join(', ')})`, String(ownCount(t.module))]);
    const header = ['Layer (type)', 'Output shape', 'Param #'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
    const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    const total = this.parameterCount();
    return [`Model: ${name}`, rule, line(header), rule, ...rows.map(line), rule, `Total params: ${total.toLocaleString('en-US')}`].join('\n');
  }
}
