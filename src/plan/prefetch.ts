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
  return new Set(order.slice(0, prefetchWindowLength(order, layerIndex, ahead)));
}

/**
 * The window as a prefix of `order`: how many of its first layers it holds
 * (those >= layerIndex, then `ahead` more). A binary search: the manager
 * calls this at every backward layer.
 */
export function prefetchWindowLength(
  order: readonly number[],
  layerIndex: number,
  ahead: number,
): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order[mid] >= layerIndex) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(order.length, lo + ahead);
}

/** The distinct layers in `layers`, in backward order (descending). */
export function backwardOrder(layers: Iterable<number>): number[] {
  return [...new Set(layers)].sort((a, b) => b - a);
}
