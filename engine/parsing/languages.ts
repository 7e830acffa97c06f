/**
 * The language registry: which files are code, which grammar parses them, and
 * which syntax nodes become chunks. Node-type tables are data so that adding a
 * language is one entry, not new chunking code.
 */
import { join } from 'node:path';

export type ChunkKind =
  | 'function'
  | 'method'
  | 'class'
  | 'interface'
  | 'struct'
  | 'enum'
  | 'trait'
  | 'impl'
  | 'module'
  | 'type'
  | 'block'
  | 'lines';

export interface LanguageSpec {
  readonly id: string;
  readonly extensions: readonly string[];
  readonly filenames?: readonly string[];
  /** WASM grammar file inside `grammars/`; absent for languages chunked by line windows. */
  readonly grammar?: string;
  /** Node type → chunk kind, for nodes that become their own chunk. */
  readonly definitions?: Readonly<Record<string, ChunkKind>>;
  /** Definition types whose children may be definitions (their chunk is a skeleton). */
  readonly containers?: readonly string[];
  /** Wrapper nodes (decorators, export, templates) that take the range of the definition inside. */
  readonly wrappers?: readonly string[];
  /** Declarations whose value may be a function (`const f = () => …`). */
  readonly assignedFunctions?: readonly string[];
  readonly calls?: readonly string[];
  readonly imports?: readonly string[];
  /** Nodes that add one to cyclomatic complexity. */
  readonly branches?: readonly string[];
  /** Binary-expression node type whose `&&`/`||` operators add to complexity. */
  readonly logicalOperators?: readonly string[];
  readonly comments?: readonly string[];
  /** Attribute or annotation nodes that precede a definition (Rust `#[derive]`). */
  readonly attributes?: readonly string[];
  /** Python-style docstrings: the first string statement of a body. */
  readonly bodyDocstring?: boolean;
  readonly identifiers?: readonly string[];
}

const C_FAMILY_BRANCHES = ['if_statement', 'for_statement', 'while_statement', 'do_statement', 'case_statement', 'catch_clause', 'conditional_expression'];
const DEFAULT_IDENTIFIERS = ['identifier', 'type_identifier', 'field_identifier', 'property_identifier', 'constant', 'name', 'simple_identifier', 'shorthand_property_identifier'];

const JS_DEFINITIONS: Record<string, ChunkKind> = {
  function_declaration: 'function',
  generator_function_declaration: 'function',
  class_declaration: 'class',
  class: 'class',
  method_definition: 'method',
};

const TS_DEFINITIONS: Record<string, ChunkKind> = {
  ...JS_DEFINITIONS,
  abstract_class_declaration: 'class',
  interface_declaration: 'interface',
  type_alias_declaration: 'type',
  enum_declaration: 'enum',
  internal_module: 'module',
  module: 'module',
  function_signature: 'function',
  abstract_method_signature: 'method',
};

const JS_COMMON = {
  wrappers: ['export_statement'],
  assignedFunctions: ['lexical_declaration', 'variable_declaration'],
  calls: ['call_expression', 'new_expression'],
  imports: ['import_statement'],
  branches: ['if_statement', 'for_statement', 'for_in_statement', 'while_statement', 'do_statement', 'switch_case', 'catch_clause', 'ternary_expression'],
  logicalOperators: ['binary_expression'],
  comments: ['comment'],
} as const;

export const LANGUAGES: readonly LanguageSpec[] = [
  {
    id: 'python',
    extensions: ['.py', '.pyi', '.pyw'],
    grammar: 'tree-sitter-python.wasm',
    definitions: { function_definition: 'function', class_definition: 'class' },
    containers: ['class_definition'],
    wrappers: ['decorated_definition'],
    calls: ['call'],
    imports: ['import_statement', 'import_from_statement'],
    branches: ['if_statement', 'elif_clause', 'for_statement', 'while_statement', 'except_clause', 'conditional_expression', 'case_clause', 'for_in_clause', 'if_clause'],
    logicalOperators: ['boolean_operator'],
    comments: ['comment'],
    bodyDocstring: true,
  },
  {
    id: 'javascript',
    extensions: ['.js', '.mjs', '.cjs', '.jsx'],
    grammar: 'tree-sitter-javascript.wasm',
    definitions: JS_DEFINITIONS,
    containers: ['class_declaration', 'class'],
    ...JS_COMMON,
  },
  {
    id: 'typescript',
    extensions: ['.ts', '.mts', '.cts'],
    grammar: 'tree-sitter-typescript.wasm',
    definitions: TS_DEFINITIONS,
    containers: ['class_declaration', 'abstract_class_declaration', 'class', 'internal_module', 'module'],
    ...JS_COMMON,
  },
  {
    id: 'tsx',
    extensions: ['.tsx'],
    grammar: 'tree-sitter-tsx.wasm',
    definitions: TS_DEFINITIONS,
    containers: ['class_declaration', 'abstract_class_declaration', 'class', 'internal_module', 'module'],
    ...JS_COMMON,
  },
  {
    id: 'java',
    extensions: ['.java'],
    grammar: 'tree-sitter-java.wasm',
    definitions: {
      class_declaration: 'class',
      interface_declaration: 'interface',
      enum_declaration: 'enum',
      record_declaration: 'class',
      annotation_type_declaration: 'interface',
      method_declaration: 'method',
      constructor_declaration: 'method',
    },
    containers: ['class_declaration', 'interface_declaration', 'enum_declaration', 'record_declaration', 'annotation_type_declaration'],
    calls: ['method_invocation', 'object_creation_expression'],
    imports: ['import_declaration'],
    branches: ['if_statement', 'for_statement', 'enhanced_for_statement', 'while_statement', 'do_statement', 'switch_label', 'catch_clause', 'ternary_expression'],
    logicalOperators: ['binary_expression'],
    comments: ['line_comment', 'block_comment'],
  },
  {
    id: 'go',
    extensions: ['.go'],
    grammar: 'tree-sitter-go.wasm',
    definitions: { function_declaration: 'function', method_declaration: 'method', type_declaration: 'type' },
    calls: ['call_expression'],
    imports: ['import_declaration'],
    branches: ['if_statement', 'for_statement', 'expression_case', 'type_case', 'communication_case'],
    logicalOperators: ['binary_expression'],
    comments: ['comment'],
  },
  {
    id: 'rust',
    extensions: ['.rs'],
    grammar: 'tree-sitter-rust.wasm',
    definitions: {
      function_item: 'function',
      function_signature_item: 'function',
      impl_item: 'impl',
      trait_item: 'trait',
      struct_item: 'struct',
      enum_item: 'enum',
      union_item: 'struct',
      mod_item: 'module',
      macro_definition: 'function',
    },
    containers: ['impl_item', 'trait_item', 'mod_item'],
    calls: ['call_expression', 'macro_invocation'],
    imports: ['use_declaration'],
    branches: ['if_expression', 'match_arm', 'for_expression', 'while_expression', 'loop_expression', 'try_expression'],
    logicalOperators: ['binary_expression'],
    comments: ['line_comment', 'block_comment'],
    attributes: ['attribute_item'],
  },
  {
    id: 'c',
    extensions: ['.c', '.h'],
    grammar: 'tree-sitter-c.wasm',
    definitions: { function_definition: 'function', struct_specifier: 'struct', enum_specifier: 'enum', union_specifier: 'struct' },
    wrappers: ['type_definition'],
    calls: ['call_expression'],
    imports: ['preproc_include'],
    branches: C_FAMILY_BRANCHES,
    logicalOperators: ['binary_expression'],
    comments: ['comment'],
  },
  {
    id: 'cpp',
    extensions: ['.cc', '.cpp', '.cxx', '.c++', '.hpp', '.hh', '.hxx', '.h++', '.ipp', '.inl'],
    grammar: 'tree-sitter-cpp.wasm',
    definitions: {
      function_definition: 'function',
      class_specifier: 'class',
      struct_specifier: 'struct',
      union_specifier: 'struct',
      enum_specifier: 'enum',
      namespace_definition: 'module',
    },
    containers: ['class_specifier', 'struct_specifier', 'namespace_definition'],
    wrappers: ['template_declaration', 'type_definition'],
    calls: ['call_expression'],
    imports: ['preproc_include', 'using_declaration'],
    branches: [...C_FAMILY_BRANCHES, 'for_range_loop'],
    logicalOperators: ['binary_expression'],
    comments: ['comment'],
  },
  {
    id: 'csharp',
    extensions: ['.cs'],
    grammar: 'tree-sitter-c-sharp.wasm',
    definitions: {
      class_declaration: 'class',
      struct_declaration: 'struct',
      interface_declaration: 'interface',
      record_declaration: 'class',
      enum_declaration: 'enum',
      namespace_declaration: 'module',
      method_declaration: 'method',
      constructor_declaration: 'method',
      local_function_statement: 'function',
      operator_declaration: 'method',
    },
    containers: ['class_declaration', 'struct_declaration', 'interface_declaration', 'record_declaration', 'namespace_declaration', 'file_scoped_namespace_declaration'],
    calls: ['invocation_expression', 'object_creation_expression'],
    imports: ['using_directive'],
    branches: ['if_statement', 'for_statement', 'foreach_statement', 'while_statement', 'do_statement', 'switch_section', 'catch_clause', 'conditional_expression'],
    logicalOperators: ['binary_expression'],
    comments: ['comment'],
    attributes: ['attribute_list'],
  },
  {
    id: 'ruby',
    extensions: ['.rb', '.rake', '.gemspec'],
    filenames: ['Rakefile', 'Gemfile'],
    grammar: 'tree-sitter-ruby.wasm',
    definitions: { method: 'method', singleton_method: 'method', class: 'class', module: 'module', singleton_class: 'class' },
    containers: ['class', 'module', 'singleton_class'],
    calls: ['call'],
    imports: [],
    branches: ['if', 'elsif', 'unless', 'while', 'until', 'for', 'when', 'rescue', 'conditional', 'if_modifier', 'unless_modifier', 'while_modifier', 'until_modifier'],
    logicalOperators: ['binary'],
    comments: ['comment'],
  },
  {
    id: 'php',
    extensions: ['.php'],
    grammar: 'tree-sitter-php.wasm',
    definitions: {
      function_definition: 'function',
      method_declaration: 'method',
      class_declaration: 'class',
      interface_declaration: 'interface',
      trait_declaration: 'trait',
      enum_declaration: 'enum',
    },
    containers: ['class_declaration', 'interface_declaration', 'trait_declaration', 'enum_declaration', 'namespace_definition'],
    calls: ['function_call_expression', 'member_call_expression', 'scoped_call_expression', 'object_creation_expression'],
    imports: ['namespace_use_declaration'],
    branches: ['if_statement', 'else_if_clause', 'for_statement', 'foreach_statement', 'while_statement', 'do_statement', 'case_statement', 'catch_clause', 'conditional_expression'],
    logicalOperators: ['binary_expression'],
    comments: ['comment'],
  },
  {
    id: 'bash',
    extensions: ['.sh', '.bash'],
    grammar: 'tree-sitter-bash.wasm',
    definitions: { function_definition: 'function' },
    calls: ['command'],
    branches: ['if_statement', 'elif_clause', 'for_statement', 'c_style_for_statement', 'while_statement', 'case_item'],
    comments: ['comment'],
  },
  {
    id: 'powershell',
    extensions: ['.ps1', '.psm1'],
    grammar: 'tree-sitter-powershell.wasm',
    definitions: { function_statement: 'function', class_statement: 'class' },
    containers: ['class_statement'],
    comments: ['comment'],
  },
  { id: 'css', extensions: ['.css', '.scss', '.less'], grammar: 'tree-sitter-css.wasm', comments: ['comment'] },
  {
    id: 'kotlin',
    extensions: ['.kt', '.kts'],
    grammar: 'tree-sitter-kotlin.wasm',
    definitions: { class_declaration: 'class', object_declaration: 'class', companion_object: 'class', function_declaration: 'function', secondary_constructor: 'method' },
    containers: ['class_declaration', 'object_declaration', 'companion_object'],
    calls: ['call_expression'],
    imports: ['import_header', 'import'],
    branches: ['if_expression', 'for_statement', 'while_statement', 'do_while_statement', 'when_entry', 'catch_block'],
    comments: ['line_comment', 'block_comment', 'comment', 'multiline_comment'],
  },
  {
    id: 'scala',
    extensions: ['.scala', '.sc'],
    grammar: 'tree-sitter-scala.wasm',
    definitions: { class_definition: 'class', object_definition: 'class', trait_definition: 'trait', enum_definition: 'enum', function_definition: 'function', function_declaration: 'function' },
    containers: ['class_definition', 'object_definition', 'trait_definition', 'enum_definition'],
    calls: ['call_expression'],
    imports: ['import_declaration'],
    branches: ['if_expression', 'for_expression', 'while_expression', 'case_clause', 'catch_clause'],
    comments: ['comment', 'block_comment'],
  },
  {
    id: 'swift',
    extensions: ['.swift'],
    grammar: 'tree-sitter-swift.wasm',
    definitions: { class_declaration: 'class', protocol_declaration: 'interface', function_declaration: 'function', init_declaration: 'method', protocol_function_declaration: 'method' },
    containers: ['class_declaration', 'protocol_declaration'],
    calls: ['call_expression'],
    imports: ['import_declaration'],
    branches: ['if_statement', 'guard_statement', 'for_statement', 'while_statement', 'switch_entry', 'catch_block', 'ternary_expression'],
    comments: ['comment', 'multiline_comment'],
  },
  {
    id: 'dart',
    extensions: ['.dart'],
    grammar: 'tree-sitter-dart.wasm',
    definitions: { class_definition: 'class', mixin_declaration: 'class', extension_declaration: 'class', enum_declaration: 'enum' },
    imports: ['import_or_export'],
    comments: ['comment', 'documentation_comment'],
  },
  {
    id: 'lua',
    extensions: ['.lua'],
    grammar: 'tree-sitter-lua.wasm',
    definitions: { function_declaration: 'function' },
    calls: ['function_call'],
    branches: ['if_statement', 'elseif_statement', 'for_statement', 'while_statement', 'repeat_statement'],
    comments: ['comment'],
  },
  {
    id: 'zig',
    extensions: ['.zig'],
    grammar: 'tree-sitter-zig.wasm',
    definitions: { function_declaration: 'function', test_declaration: 'function' },
    calls: ['call_expression'],
    branches: ['if_statement', 'if_expression', 'for_statement', 'while_statement', 'switch_case'],
    comments: ['comment'],
  },
  {
    id: 'solidity',
    extensions: ['.sol'],
    grammar: 'tree-sitter-solidity.wasm',
    definitions: {
      contract_declaration: 'class',
      interface_declaration: 'interface',
      library_declaration: 'module',
      function_definition: 'function',
      constructor_definition: 'method',
      modifier_definition: 'function',
      event_definition: 'type',
      struct_declaration: 'struct',
    },
    containers: ['contract_declaration', 'interface_declaration', 'library_declaration'],
    calls: ['call_expression'],
    imports: ['import_directive'],
    branches: ['if_statement', 'for_statement', 'while_statement', 'do_while_statement', 'ternary_expression'],
    comments: ['comment'],
  },
  {
    id: 'julia',
    extensions: ['.jl'],
    grammar: 'tree-sitter-julia.wasm',
    definitions: { function_definition: 'function', struct_definition: 'struct', abstract_definition: 'type', module_definition: 'module', macro_definition: 'function' },
    containers: ['module_definition'],
    calls: ['call_expression'],
    imports: ['import_statement', 'using_statement'],
    branches: ['if_statement', 'elseif_clause', 'for_statement', 'while_statement', 'catch_clause', 'ternary_expression'],
    comments: ['line_comment', 'block_comment'],
  },
  {
    id: 'haskell',
    extensions: ['.hs'],
    grammar: 'tree-sitter-haskell.wasm',
    definitions: { function: 'function', data_type: 'type', newtype: 'type', class: 'trait', instance: 'impl' },
    imports: ['import'],
    comments: ['comment', 'haddock'],
  },
  {
    id: 'ocaml',
    extensions: ['.ml'],
    grammar: 'tree-sitter-ocaml.wasm',
    definitions: { value_definition: 'function', module_definition: 'module', type_definition: 'type', class_definition: 'class' },
    imports: ['open_module'],
    comments: ['comment'],
  },
  // Languages without a loadable grammar: indexed by line windows.
  { id: 'elixir', extensions: ['.ex', '.exs'] },
  { id: 'ocaml-interface', extensions: ['.mli'] },
  { id: 'r', extensions: ['.r', '.R'] },
  { id: 'perl', extensions: ['.pl', '.pm'] },
  { id: 'objc', extensions: ['.m', '.mm'] },
  { id: 'sql', extensions: ['.sql'] },
  { id: 'vue', extensions: ['.vue'] },
  { id: 'svelte', extensions: ['.svelte'] },
  { id: 'html', extensions: ['.html', '.htm'] },
  { id: 'markdown', extensions: ['.md', '.mdx', '.rst', '.adoc'] },
  { id: 'text', extensions: ['.txt'] },
  { id: 'yaml', extensions: ['.yaml', '.yml'] },
  { id: 'toml', extensions: ['.toml'] },
  { id: 'json', extensions: ['.json', '.jsonc'] },
  { id: 'xml', extensions: ['.xml', '.xsd'] },
  { id: 'proto', extensions: ['.proto'] },
  { id: 'graphql', extensions: ['.graphql', '.gql'] },
  { id: 'make', extensions: ['.mk', '.cmake', '.gradle'], filenames: ['Makefile', 'makefile', 'GNUmakefile', 'CMakeLists.txt', 'Dockerfile', 'Containerfile', 'Justfile'] },
];

const BY_ID = new Map(LANGUAGES.map((language) => [language.id, language]));
const BY_EXTENSION = new Map<string, LanguageSpec>();
const BY_FILENAME = new Map<string, LanguageSpec>();
for (const language of LANGUAGES) {
  for (const extension of language.extensions) BY_EXTENSION.set(extension, language);
  for (const filename of language.filenames ?? []) BY_FILENAME.set(filename, language);
}

export function languageById(id: string): LanguageSpec | undefined {
  return BY_ID.get(id);
}

/** The language of a path by file name, then extension (case-sensitive first, as `.R` vs `.r`). */
export function languageForPath(path: string): LanguageSpec | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const byName = BY_FILENAME.get(name);
  if (byName) return byName;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const extension = name.slice(dot);
  return BY_EXTENSION.get(extension) ?? BY_EXTENSION.get(extension.toLowerCase());
}

export function identifierNodeTypes(spec: LanguageSpec): readonly string[] {
  return spec.identifiers ?? DEFAULT_IDENTIFIERS;
}

/**
 * Languages whose grammar file is absent from `grammarsDir`. Their files are
 * still indexed, by line windows, so nothing fails; but search quality drops
 * without a word, which is why the engine says so when it opens (a checkout
 * whose `npm ci` skipped the prepare step, a package built without grammars).
 */
export function languagesMissingGrammar(grammarsDir: string, exists: (path: string) => boolean): LanguageSpec[] {
  return LANGUAGES.filter((spec) => spec.grammar !== undefined && !exists(join(grammarsDir, spec.grammar)));
}
