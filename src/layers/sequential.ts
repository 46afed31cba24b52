// Sequential: a chain of modules, each fed the previous one's output.

import type { Tensor } from '../tensor/tensor.ts';
import { Module } from './module.ts';

/** Like Keras' Sequential; children are named by position ("0", "1", ...) unless named explicitly. */
export class Sequential extends Module {
  private readonly layers: Module[] = [];

  constructor(layers: (Module | [string, Module])[]) {
    super();
    layers.forEach((entry, i) => {
      const [name, layer] = Array.isArray(entry) ? entry : [String(i), entry];
      this.layers.push(this.addModule(name, layer));
    });
  }

  forward(x: Tensor): Tensor {
    for (const layer of this.layers) x = layer.call(x);
    return x;
  }
}
