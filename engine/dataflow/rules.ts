/**
 * Per-language tables for the data-flow analysis. The analysis itself is one
 * algorithm (extract.ts); a language is the node types and field names that
 * play each role in its tree-sitter grammar.
 */

export interface LoopFields {
  /** Evaluated once, before the first iteration (`let i = 0`). */
  readonly init?: string;
  /** Iterated collection; evaluated once. Its variables flow into `left` on every iteration. */
  readonly right?: string;
  readonly left?: string;
  readonly condition?: string;
  readonly body: string;
  readonly update?: string;
  /** Go's `for cond { … }`: the condition is the one child without a field. */
  readonly unnamedCondition?: boolean;
  /** `do … while`: the condition runs after the body. */
  readonly conditionLast?: boolean;
}

export interface DataFlowRules {
  /** Node types that name a variable. */
  readonly variables: readonly string[];
  /** Names that never carry a value (Go's blank identifier). */
  readonly ignoredNames: readonly string[];
  /** Subtrees that name no variables at all (imports, package clauses). */
  readonly opaqueTypes: readonly string[];
  /** `type → fields` whose subtrees name no variables: declared names, property and method names. */
  readonly opaqueFields: Readonly<Record<string, readonly string[]>>;
  /** Fields skipped on every node: type annotations. */
  readonly opaqueFieldsEverywhere: readonly string[];
  /** `left = right`; augmented when the `operator` field is anything but `=` or `:=`. */
  readonly assignments: Readonly<Record<string, { readonly left: string; readonly right: string; readonly augmented?: boolean }>>;
  /** `let x = v`, `int x = v`, `var a, b = 1, 2`: every child in `name` is a target; `value` may be absent. */
  readonly declarations: Readonly<Record<string, { readonly name: string; readonly value: string }>>;
  /** `x++`: the operand reads and redefines the variable. */
  readonly updates: readonly string[];
  /** Lists that pair up element-wise in `a, b = c, d`. */
  readonly sequences: readonly string[];
  /** Member and index expressions, by the field that holds the object: `o.f = v` updates `o`. */
  readonly members: Readonly<Record<string, string>>;
  /** `if`: the `conditions` fields run first, then `consequence` or one of the `alternative` children. */
  readonly conditionals: Readonly<Record<string, { readonly conditions: readonly string[] }>>;
  /** `elif`-style alternatives that carry their own condition and consequence. */
  readonly conditionalClauses: readonly string[];
  readonly loops: Readonly<Record<string, LoopFields>>;
  /** Children of a loop that hold its header fields (Go's `for_clause`, `range_clause`). */
  readonly loopClauses: readonly string[];
  /** Function-like nodes: the parameter fields define roots, then the body runs. */
  readonly functions: Readonly<Record<string, { readonly parameters: readonly string[]; readonly body: string }>>;
  /** Parameters with a default value: the name is computed from the value. */
  readonly defaults: Readonly<Record<string, { readonly name: string; readonly value: string }>>;
  /** Python comprehensions: their `for … in` clauses run before the body that precedes them. */
  readonly comprehensions: readonly string[];
  readonly comprehensionClause?: string;
  /** Code-token rules: comments are dropped, literals are one token each. */
  readonly comments: readonly string[];
  readonly literals: readonly string[];
}

const NONE = { ignoredNames: [], opaqueFieldsEverywhere: [], comprehensions: [], conditionalClauses: [], loopClauses: [], defaults: {}, declarations: {}, updates: [] } as const;

const PYTHON: DataFlowRules = {
  ...NONE,
  variables: ['identifier'],
  opaqueTypes: ['import_statement', 'import_from_statement', 'future_import_statement'],
  opaqueFields: {
    function_definition: ['name', 'return_type'],
    class_definition: ['name'],
    keyword_argument: ['name'],
    attribute: ['attribute'],
  },
  opaqueFieldsEverywhere: ['type', 'return_type'],
  assignments: { assignment: { left: 'left', right: 'right' }, augmented_assignment: { left: 'left', right: 'right', augmented: true } },
  sequences: ['pattern_list', 'expression_list', 'tuple_pattern', 'tuple', 'list_pattern', 'list'],
  members: { attribute: 'object', subscript: 'value' },
  conditionals: { if_statement: { conditions: ['condition'] } },
  conditionalClauses: ['elif_clause'],
  loops: {
    for_statement: { left: 'left', right: 'right', body: 'body' },
    while_statement: { condition: 'condition', body: 'body' },
  },
  functions: { function_definition: { parameters: ['parameters'], body: 'body' }, lambda: { parameters: ['parameters'], body: 'body' } },
  defaults: { default_parameter: { name: 'name', value: 'value' }, typed_default_parameter: { name: 'name', value: 'value' } },
  comprehensions: ['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression'],
  comprehensionClause: 'for_in_clause',
  comments: ['comment'],
  literals: ['string', 'concatenated_string'],
};

const JAVASCRIPT: DataFlowRules = {
  ...NONE,
  variables: ['identifier', 'shorthand_property_identifier', 'shorthand_property_identifier_pattern'],
  opaqueTypes: ['import_statement'],
  opaqueFields: {
    function_declaration: ['name'],
    generator_function_declaration: ['name'],
    function_expression: ['name'],
    class_declaration: ['name'],
    class: ['name'],
    method_definition: ['name'],
  },
  assignments: { assignment_expression: { left: 'left', right: 'right' }, augmented_assignment_expression: { left: 'left', right: 'right', augmented: true } },
  declarations: { variable_declarator: { name: 'name', value: 'value' } },
  updates: ['update_expression'],
  sequences: ['array_pattern', 'array', 'sequence_expression'],
  members: { member_expression: 'object', subscript_expression: 'object' },
  conditionals: { if_statement: { conditions: ['condition'] } },
  loops: {
    for_statement: { init: 'initializer', condition: 'condition', update: 'increment', body: 'body' },
    for_in_statement: { left: 'left', right: 'right', body: 'body' },
    while_statement: { condition: 'condition', body: 'body' },
    do_statement: { condition: 'condition', body: 'body', conditionLast: true },
  },
  functions: {
    function_declaration: { parameters: ['parameters'], body: 'body' },
    generator_function_declaration: { parameters: ['parameters'], body: 'body' },
    function_expression: { parameters: ['parameters'], body: 'body' },
    generator_function: { parameters: ['parameters'], body: 'body' },
    arrow_function: { parameters: ['parameters', 'parameter'], body: 'body' },
    method_definition: { parameters: ['parameters'], body: 'body' },
  },
  defaults: { assignment_pattern: { name: 'left', value: 'right' } },
  comments: ['comment', 'html_comment'],
  literals: ['string', 'template_string', 'regex'],
};

const JAVA: DataFlowRules = {
  ...NONE,
  variables: ['identifier'],
  opaqueTypes: ['import_declaration', 'package_declaration', 'marker_annotation', 'annotation'],
  opaqueFields: {
    method_declaration: ['name'],
    constructor_declaration: ['name'],
    class_declaration: ['name'],
    interface_declaration: ['name'],
    enum_declaration: ['name'],
    record_declaration: ['name'],
    method_invocation: ['name'],
    field_access: ['field'],
  },
  opaqueFieldsEverywhere: ['type', 'dimensions'],
  assignments: { assignment_expression: { left: 'left', right: 'right' } },
  declarations: { variable_declarator: { name: 'name', value: 'value' } },
  updates: ['update_expression'],
  sequences: [],
  members: { field_access: 'object', array_access: 'array' },
  conditionals: { if_statement: { conditions: ['condition'] } },
  loops: {
    for_statement: { init: 'init', condition: 'condition', update: 'update', body: 'body' },
    enhanced_for_statement: { left: 'name', right: 'value', body: 'body' },
    while_statement: { condition: 'condition', body: 'body' },
    do_statement: { condition: 'condition', body: 'body', conditionLast: true },
  },
  functions: {
    method_declaration: { parameters: ['parameters'], body: 'body' },
    constructor_declaration: { parameters: ['parameters'], body: 'body' },
    lambda_expression: { parameters: ['parameters'], body: 'body' },
  },
  comments: ['line_comment', 'block_comment'],
  literals: ['string_literal', 'character_literal', 'text_block'],
};

const GO: DataFlowRules = {
  ...NONE,
  variables: ['identifier'],
  ignoredNames: ['_'],
  opaqueTypes: ['import_declaration', 'package_clause'],
  opaqueFields: { function_declaration: ['name'], method_declaration: ['name'] },
  opaqueFieldsEverywhere: ['type'],
  assignments: { assignment_statement: { left: 'left', right: 'right' }, short_var_declaration: { left: 'left', right: 'right' } },
  declarations: { var_spec: { name: 'name', value: 'value' }, const_spec: { name: 'name', value: 'value' } },
  updates: ['inc_statement', 'dec_statement'],
  sequences: ['expression_list'],
  members: { selector_expression: 'operand', index_expression: 'operand' },
  conditionals: { if_statement: { conditions: ['initializer', 'condition'] } },
  loops: { for_statement: { init: 'initializer', left: 'left', right: 'right', condition: 'condition', update: 'update', body: 'body', unnamedCondition: true } },
  loopClauses: ['for_clause', 'range_clause'],
  functions: {
    function_declaration: { parameters: ['parameters', 'result'], body: 'body' },
    method_declaration: { parameters: ['receiver', 'parameters', 'result'], body: 'body' },
    func_literal: { parameters: ['parameters', 'result'], body: 'body' },
  },
  comments: ['comment'],
  literals: ['interpreted_string_literal', 'raw_string_literal', 'rune_literal'],
};

const RULES: Readonly<Record<string, DataFlowRules>> = { python: PYTHON, javascript: JAVASCRIPT, java: JAVA, go: GO };

/** Languages with a data-flow extractor, by the engine's language id. */
export const DATA_FLOW_LANGUAGES: readonly string[] = Object.keys(RULES);

export function dataFlowRules(language: string): DataFlowRules | undefined {
  return RULES[language];
}
