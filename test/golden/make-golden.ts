/**
 * Writes the golden files the behaviour-preservation tests compare against:
 * weights hashes of seeded training steps on every -small network (oracle and
 * offloaded), the memory manager's saved groups and budget estimates per
 * policy. Run only when a change of behaviour is deliberate:
 *   npx tsx test/golden/make-golden.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { computeGolden } from './golden.js';

const out = fileURLToPath(new URL('./plan.json', import.meta.url));
const g = await computeGolden();
writeFileSync(out, JSON.stringify(g, null, 1) + '\n');
console.log(`wrote ${out}`);
