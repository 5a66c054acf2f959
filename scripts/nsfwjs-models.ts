/**
 * Writes the pretrained networks that the dev dependency nsfwjs@4.4.0 ships
 * inside its JavaScript modules (MobileNetV2 224x224, InceptionV3 299x299;
 * MIT) as standard TensorFlow.js Layers model folders, for
 * `cdma train --tfjs-model DIR/inception_v3/model.json` and the examples of
 * docs/IMPORT.md.
 *
 *   npx tsx scripts/nsfwjs-models.ts models
 */
import { join } from 'node:path';
import { writeNsfwModel } from '../test/helpers/nsfwjs.js';

const dir = process.argv[2];
if (dir === undefined || process.argv.length > 3) {
  process.stderr.write('usage: tsx scripts/nsfwjs-models.ts DIR\n');
  process.exit(2);
}
for (const name of ['mobilenet_v2', 'inception_v3'] as const) {
  process.stdout.write(`${writeNsfwModel(name, join(dir, name))}\n`);
}
