/** Defaults shared by the commands that train (train, compare, study): one value each. */

/** Base learning rate of SGD (`--lr`). */
export const DEFAULT_LR = '0.02';
