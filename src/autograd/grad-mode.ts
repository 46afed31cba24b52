// Whether ops record the graph: on by default, off inside noGrad (inference, optimiser updates, backward itself).

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Run `fn` without recording the autograd graph: results carry no `node` and hold no references to their
 * inputs, so nothing is kept alive for a backward pass that will never come.
 *
 * @example
 * const probs = noGrad(() => model.forward(x));
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}
