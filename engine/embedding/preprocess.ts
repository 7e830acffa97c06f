import { splitIdentifiersInText } from '../text/identifiers.js';
import type { PreprocessStep } from './manifest.js';

/** Applies the manifest's pre-processing, in order. Pure; mirrored by the Python training code. */
export function preprocessText(text: string, steps: readonly PreprocessStep[]): string {
  let result = text;
  for (const step of steps) {
    switch (step) {
      case 'split-identifiers':
        result = splitIdentifiersInText(result);
        break;
      case 'lowercase':
        result = result.toLowerCase();
        break;
      case 'collapse-whitespace':
        result = result.replace(/\s+/g, ' ').trim();
        break;
    }
  }
  return result;
}
