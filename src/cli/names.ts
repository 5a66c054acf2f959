/**
 * The names the commands share, one spelling each: the offload policies
 * (`none` keeps everything on the device, the oracle; `all`, `conv`, `dyn`)
 * and the host links (src/sim/links.ts's ids). A name that is not one of
 * them is an error that suggests the closest, and the old spellings
 * (`oracle` for none, `pcie-3`...) are named as such.
 */
import { InvalidArgumentError } from '../errors.js';
import { LINK_CHOICES, parseLink } from '../memory/link.js';
import type { PolicyName } from '../plan/index.js';
import { findLink, LINK_ALIASES, listLinks } from '../sim/links.js';

/** Optimal string alignment distance (Damerau-Levenshtein without repeated edits). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word` (case-insensitively, ignoring `-` and `_`),
 * or undefined when none is close: at most a third of the longer one's
 * letters differ.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const w = norm(word);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const n = norm(c);
    const distance = editDistance(w, n);
    const ok =
      n.length > 1 && distance <= Math.max(1, Math.floor(Math.max(w.length, n.length) / 3));
    if (ok && distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}

/** " (did you mean X?)" or "" when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean ${c}?)`;
}

/** Old or other-tool names of the policies, and the name cdma uses for each. */
export const POLICY_OLD_NAMES: Readonly<Record<string, PolicyName>> = {
  oracle: 'none',
  base: 'none',
  baseline: 'none',
  keep: 'none',
  off: 'none',
};

/**
 * Checks a policy name against those a command takes (`allowed`, a subset of
 * none, all, conv, dyn). An old name gets "--policy oracle is called
 * none"; a near miss gets "did you mean"; a name the command does not take
 * gets `why` (e.g. compare always runs none as its reference).
 */
export function checkPolicyName(
  text: string,
  allowed: readonly string[],
  why: Readonly<Record<string, string>> = {},
): PolicyName {
  const s = text.trim();
  if (allowed.includes(s)) return s as PolicyName;
  const renamed = POLICY_OLD_NAMES[s.toLowerCase()];
  if (renamed !== undefined && allowed.includes(renamed)) {
    throw new InvalidArgumentError(
      `--policy ${s} is called ${renamed} in every cdma command; did you mean --policy ${renamed}?`,
    );
  }
  const target = renamed ?? s;
  if (why[target] !== undefined) throw new InvalidArgumentError(`--policy ${s}: ${why[target]}`);
  throw new InvalidArgumentError(
    `unknown policy '${s}': use one of ${allowed.join(', ')}${didYouMean(s, allowed)}`,
  );
}

/** The preset link ids and their aliases (pcie3, ..., nvlink). */
function presetNames(): string[] {
  return [...listLinks().map((l) => l.id), ...Object.keys(LINK_ALIASES)];
}

/**
 * A `--link` of train and compare: a preset id or alias, unlimited,
 * paper-scaled or a bandwidth such as 2.5GBps, checked by the memory
 * manager's own parser; an unknown name suggests the closest.
 */
export function checkTrainLink(text: string): string {
  try {
    parseLink(text, 1);
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
    const names = [...presetNames(), 'unlimited', 'paper-scaled'];
    throw new InvalidArgumentError(
      `unknown link '${text}': use one of ${LINK_CHOICES.join(', ')} (e.g. 2.5GBps)${didYouMean(text, names)}`,
    );
  }
  return text;
}

/**
 * A `--link` (or one of `--links`) of simulate: a preset id or alias. The
 * training commands' other links (unlimited, paper-scaled, a bandwidth)
 * describe this machine, not a GPU, and are named as such.
 */
export function checkSimLink(text: string, flag = '--link'): string {
  if (findLink(text) !== undefined) return text;
  const s = text.trim().toLowerCase();
  const presets = presetNames();
  if (s === 'unlimited' || s === 'paper-scaled' || /^[\d.]+\s*[gm]b(ps|\/s)$/.test(s)) {
    throw new InvalidArgumentError(
      `${flag} ${text} is a link of cdma train and compare (this machine); the simulator models the preset links: ${presets.join(', ')}`,
    );
  }
  throw new InvalidArgumentError(
    `unknown link '${text}': use one of ${presets.join(', ')} (nvlink = nvlink1)${didYouMean(text, presets)}`,
  );
}
