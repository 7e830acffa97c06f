// stemmer 1.x ships no types: one function, the Porter (1980) stem of a word.
declare module 'stemmer' {
  function stemmer(value: string): string;
  export = stemmer;
}
