/**
 * vDNN's prefetch window in the backward pass: at the start of layer i's
 * backward, bring back what layer i and the next `ahead` layers (among those
 * that have offloaded data) will need. `order` lists those layers'
 * indices in backward order (descending).
 */
export function prefetchWindow(
  order: readonly number[],
  layerIndex: number,
  ahead: number,
): Set<number> {
  const want = new Set<number>();
  let taken = 0;
  for (const l of order) {
    if (l >= layerIndex) want.add(l);
    else if (taken < ahead) {
      want.add(l);
      taken++;
    }
  }
  return want;
}

/** The distinct layers in `layers`, in backward order (descending). */
export function backwardOrder(layers: Iterable<number>): number[] {
  return [...new Set(layers)].sort((a, b) => b - a);
}
