export { distinctIdentifiers, lexicalTokens, splitIdentifier, splitIdentifiersInText } from './identifiers.js';
