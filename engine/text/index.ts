export { lexicalTokens, splitIdentifier, splitIdentifiersInText } from './identifiers.js';
