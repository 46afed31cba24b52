// Dropout layer: inverted dropout while training, identity in eval mode; the mask comes from a seeded stream.

import type { Tensor } from '../tensor/tensor.ts';
import { Rng } from '../tensor/random.ts';
import { dropout } from '../tensor/ops/conv.ts';
import { Module } from './module.ts';

export class Dropout extends Module {
  /** The stream masks are drawn from; the trainer reseeds it per epoch so a resumed run draws the same masks. */
  rng: Rng;

  constructor(
    readonly rate: number,
    rng: Rng,
  ) {
    super();
    if (!(rate >= 0 && rate < 1)) throw new Error(`Dropout: rate must be in [0, 1), got ${rate}`);
    this.rng = rng;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.rate, { training: this.training, rng: this.rng });
  }
}

/** Give every Dropout in `model` a fresh stream derived from (seed, label, its position). */
export function reseedDropout(model: Module, seed: number | string, label: string | number): void {
  let index = 0;
  const walk = (m: Module): void => {
    if (m instanceof Dropout) m.rng = new Rng(`${seed}/dropout/${label}/${index++}`);
    for (const [, child] of m.namedChildren()) walk(child);
  };
  walk(model);
}
