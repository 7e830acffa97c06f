/** The natural-language questions the speed benchmark times searches with (warm query, cold CLI search, lexical comparison). */
export const QUERIES = [
  'open a network connection and read the response', 'parse a json document', 'matrix multiplication', 'sort a list in place',
  'read a file line by line', 'format a date as a string', 'hash map insertion', 'compile a regular expression', 'handle http request headers',
  'encode bytes as base64', 'spawn a thread and wait for it', 'validate user input', 'render a template', 'solve a polynomial equation',
  'parse command line arguments', 'lock a mutex', 'convert a string to an integer', 'retry a failed operation', 'compute a checksum',
  'iterate over a directory tree', 'serialize an object', 'observable subscription', 'debounce a function', 'escape html characters', 'tcp listener accept',
];
