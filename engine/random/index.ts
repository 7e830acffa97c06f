export { gaussianSource, seededRandom } from './seeded.js';
