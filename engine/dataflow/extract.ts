import { UnsupportedLanguageError } from '../errors.js';
import type { DataFlowEdge, DataFlowGraph, DataFlowNode, DataFlowRelation } from './graph.js';
import { dataFlowRules, type DataFlowRules, type LoopFields } from './rules.js';
import type { DataFlowSyntaxNode as Node } from './syntax.js';

/** A loop body is re-run until the definitions reaching its head stop changing; nesting converges fast. */
const MAX_LOOP_PASSES = 4;

/**
 * GraphCodeBERT's data-flow graph of a parsed snippet: every variable
 * occurrence that takes part in a flow, with edges to where its value comes
 * from. One flat scope, reaching definitions along the syntax tree: a use comes
 * from the definitions that reach it (branches merge, loops feed back), an
 * assignment's targets are computed from the variables on its right side,
 * parameters and the first sighting of a free variable are roots. Pure.
 */
export function extractDataFlow(root: Node, language: string): DataFlowGraph {
  const rules = dataFlowRules(language);
  if (!rules) throw new UnsupportedLanguageError(language, { reason: 'no data-flow extractor' });
  const analysis = new Analysis(rules);
  analysis.visit(root);
  return analysis.graph();
}

type Definitions = Map<string, Set<number>>;

class Analysis {
  private readonly occurrences: DataFlowNode[] = [];
  private readonly occurrenceAt = new Map<number, number>();
  private readonly edgeKeys = new Set<string>();
  private readonly edges: DataFlowEdge[] = [];
  private state: Definitions = new Map();

  constructor(private readonly rules: DataFlowRules) {}

  /** Walks `node` in evaluation order; returns the occurrences whose values the expression reads. */
  visit(node: Node | null): number[] {
    if (!node || this.rules.opaqueTypes.includes(node.type)) return [];
    const { rules } = this;
    if (rules.variables.includes(node.type)) return rules.ignoredNames.includes(node.text) ? [] : [this.use(node)];
    const assignment = rules.assignments[node.type];
    if (assignment) {
      const operator = node.childForFieldName('operator')?.text;
      const augmented = assignment.augmented === true || (operator !== undefined && operator !== '=' && operator !== ':=');
      return this.assign([node.childForFieldName(assignment.left)], node.childForFieldName(assignment.right), augmented);
    }
    const declaration = rules.declarations[node.type];
    if (declaration) return this.assign(node.childrenForFieldName(declaration.name), node.childForFieldName(declaration.value), false);
    if (rules.updates.includes(node.type)) return this.update(node);
    if (rules.conditionals[node.type]) return this.conditional(node, rules.conditionals[node.type]!.conditions);
    if (rules.loops[node.type]) return this.loop(node, rules.loops[node.type]!);
    if (rules.functions[node.type]) return this.function(node, rules.functions[node.type]!);
    if (rules.comprehensions.includes(node.type)) return this.comprehension(node);
    const reads: number[] = [];
    this.forEachChild(node, (child) => reads.push(...this.visit(child)));
    return reads;
  }

  graph(): DataFlowGraph {
    const connected = new Set<number>();
    for (const edge of this.edges) connected.add(edge.target).add(edge.source);
    const kept = [...connected].sort((a, b) => this.occurrences[a]!.start - this.occurrences[b]!.start);
    const index = new Map(kept.map((occurrence, position) => [occurrence, position]));
    const edges = this.edges
      .map((edge) => ({ target: index.get(edge.target)!, source: index.get(edge.source)!, relation: edge.relation }))
      .sort((a, b) => a.target - b.target || a.source - b.source || a.relation.localeCompare(b.relation));
    return { nodes: kept.map((occurrence) => this.occurrences[occurrence]!), edges };
  }

  /** Children in order, minus the fields that name no variables. */
  private forEachChild(node: Node, action: (child: Node) => void): void {
    const opaque = this.rules.opaqueFields[node.type];
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i);
      if (!child?.isNamed) continue;
      const field = node.fieldNameForChild(i);
      if (field && (opaque?.includes(field) || this.rules.opaqueFieldsEverywhere.includes(field))) continue;
      action(child);
    }
  }

  private occurrence(node: Node): number {
    let id = this.occurrenceAt.get(node.startIndex);
    if (id === undefined) {
      id = this.occurrences.length;
      this.occurrences.push({ name: node.text, start: node.startIndex, end: node.endIndex });
      this.occurrenceAt.set(node.startIndex, id);
    }
    return id;
  }

  private edge(target: number, source: number, relation: DataFlowRelation): void {
    const key = `${target}:${source}:${relation}`;
    if (this.edgeKeys.has(key)) return;
    this.edgeKeys.add(key);
    this.edges.push({ target, source, relation });
  }

  /** A read: comes from the definitions that reach it; a free variable's first sighting becomes its root. */
  private use(node: Node): number {
    const id = this.occurrence(node);
    const reaching = this.state.get(node.text);
    if (reaching && reaching.size > 0) for (const source of reaching) this.edge(id, source, 'comesFrom');
    else this.state.set(node.text, new Set([id]));
    return id;
  }

  /** A definition: computed from `sources`; an update (`+=`, `o.f = …`) also comes from the previous value. */
  private define(node: Node, sources: readonly number[], updatesPrevious: boolean): number {
    const id = this.occurrence(node);
    for (const source of sources) this.edge(id, source, 'computedFrom');
    if (updatesPrevious) for (const previous of this.state.get(node.text) ?? []) this.edge(id, previous, 'comesFrom');
    this.state.set(node.text, new Set([id]));
    return id;
  }

  /** `a, b = c, d` pairs element-wise; otherwise every target is computed from every variable on the right. */
  private assign(lefts: readonly (Node | null)[], right: Node | null, augmented: boolean): number[] {
    const rightItems = right ? this.items(right) : [];
    const reads = rightItems.map((item) => this.visit(item));
    const present = lefts.filter((left): left is Node => left !== null);
    const leftItems = present.length === 1 ? this.items(present[0]!) : present;
    const targets = leftItems.map((item) => this.targets(item));
    const paired = leftItems.length > 1 && leftItems.length === rightItems.length;
    const defined: number[] = [];
    targets.forEach((group, position) => {
      const sources = paired ? reads[position]! : reads.flat();
      for (const target of group) defined.push(this.define(target.node, sources, augmented || target.member));
    });
    return defined;
  }

  /** The elements of `a, b` or `[a, b]` (through parentheses); anything else is one item. */
  private items(node: Node): Node[] {
    if (node.type === 'parenthesized_expression') {
      const inner = node.namedChildren.filter((child): child is Node => child !== null);
      if (inner.length === 1) return this.items(inner[0]!);
    }
    return this.rules.sequences.includes(node.type) ? node.namedChildren.filter((child): child is Node => child !== null) : [node];
  }

  /**
   * The variables an assignment target defines. `o.f` and `a[i]` update their
   * object; indices, keys and defaults inside a pattern are reads.
   */
  private targets(node: Node): { node: Node; member: boolean }[] {
    const { rules } = this;
    if (rules.variables.includes(node.type)) return rules.ignoredNames.includes(node.text) ? [] : [{ node, member: false }];
    const objectField = rules.members[node.type];
    if (objectField) {
      const object = node.childForFieldName(objectField);
      this.forEachChild(node, (child) => {
        if (!sameNode(child, object)) this.visit(child);
      });
      if (object && (rules.variables.includes(object.type) || rules.members[object.type])) return this.targets(object).map((target) => ({ node: target.node, member: true }));
      this.visit(object);
      return [];
    }
    const withDefault = rules.defaults[node.type];
    if (withDefault) {
      const reads = this.visit(node.childForFieldName(withDefault.value));
      const name = node.childForFieldName(withDefault.name);
      const found = name ? this.targets(name) : [];
      for (const target of found) this.define(target.node, reads, false);
      return found;
    }
    const found: { node: Node; member: boolean }[] = [];
    this.forEachChild(node, (child) => found.push(...this.targets(child)));
    return found;
  }

  private update(node: Node): number[] {
    const operand = node.namedChildren.find((child): child is Node => child !== null);
    if (!operand) return [];
    return this.targets(operand).map((target) => this.define(target.node, [], true));
  }

  private conditional(node: Node, conditions: readonly string[]): number[] {
    for (const field of conditions) this.visit(node.childForFieldName(field));
    const before = this.state;
    const outcomes: Definitions[] = [];
    const branch = (run: () => void) => {
      this.state = cloneDefinitions(before);
      run();
      outcomes.push(this.state);
    };
    branch(() => this.visit(node.childForFieldName('consequence')));
    let hasElse = false;
    for (const alternative of node.childrenForFieldName('alternative')) {
      if (!alternative) continue;
      if (this.rules.conditionalClauses.includes(alternative.type)) {
        branch(() => {
          this.visit(alternative.childForFieldName('condition'));
          this.visit(alternative.childForFieldName('consequence'));
        });
      } else {
        hasElse = true;
        branch(() => this.visit(alternative));
      }
    }
    if (!hasElse) outcomes.push(before);
    this.state = mergeDefinitions(outcomes);
    return [];
  }

  private loop(node: Node, fields: LoopFields): number[] {
    const clause = node.namedChildren.find((child): child is Node => child !== null && this.rules.loopClauses.includes(child.type));
    const field = (name: string | undefined) => (name ? node.childForFieldName(name) ?? clause?.childForFieldName(name) ?? null : null);
    this.visit(field(fields.init));
    const iterated = this.visit(field(fields.right));
    const left = field(fields.left);
    const condition = field(fields.condition) ?? (fields.unnamedCondition && !clause ? unnamedChild(node) : null);
    for (let pass = 0; pass < MAX_LOOP_PASSES; pass++) {
      const before = cloneDefinitions(this.state);
      if (left) for (const target of this.targets(left)) this.define(target.node, iterated, target.member);
      if (!fields.conditionLast) this.visit(condition);
      this.visit(field(fields.body));
      this.visit(field(fields.update));
      if (fields.conditionLast) this.visit(condition);
      // The body may run again (feeding its definitions back to its start) or not at all.
      this.state = mergeDefinitions([before, this.state]);
      if (sameDefinitions(before, this.state)) break;
    }
    // A Python `for … else` / `while … else` clause runs once after the loop.
    this.visit(node.childForFieldName('alternative'));
    return [];
  }

  private function(node: Node, fields: { parameters: readonly string[]; body: string }): number[] {
    for (const name of fields.parameters) for (const parameters of node.childrenForFieldName(name)) if (parameters) this.parameters(parameters);
    return this.visit(node.childForFieldName(fields.body));
  }

  /** Parameters are roots; one with a default value is computed from it. */
  private parameters(node: Node): void {
    const { rules } = this;
    if (rules.variables.includes(node.type)) {
      if (!rules.ignoredNames.includes(node.text)) this.define(node, [], false);
      return;
    }
    if (rules.defaults[node.type]) {
      this.targets(node);
      return;
    }
    this.forEachChild(node, (child) => this.parameters(child));
  }

  /** `[f(k) for k in ks if k]`: the clauses bind before the leading expression reads. */
  private comprehension(node: Node): number[] {
    const reads: number[] = [];
    let body: Node | null = null;
    this.forEachChild(node, (child) => {
      if (child.type === this.rules.comprehensionClause) {
        const iterated = this.visit(child.childForFieldName('right'));
        const left = child.childForFieldName('left');
        if (left) for (const target of this.targets(left)) this.define(target.node, iterated, target.member);
      } else if (child.type === 'if_clause') {
        reads.push(...this.visit(child));
      } else {
        body = child;
      }
    });
    reads.push(...this.visit(body));
    return reads;
  }
}

function cloneDefinitions(state: Definitions): Definitions {
  return new Map([...state].map(([name, ids]) => [name, new Set(ids)]));
}

function mergeDefinitions(states: readonly Definitions[]): Definitions {
  const merged: Definitions = new Map();
  for (const state of states) {
    for (const [name, ids] of state) {
      const into = merged.get(name) ?? new Set<number>();
      for (const id of ids) into.add(id);
      merged.set(name, into);
    }
  }
  return merged;
}

function sameDefinitions(a: Definitions, b: Definitions): boolean {
  if (a.size !== b.size) return false;
  for (const [name, ids] of a) {
    const other = b.get(name);
    if (!other || other.size !== ids.size) return false;
    for (const id of ids) if (!other.has(id)) return false;
  }
  return true;
}

function sameNode(a: Node, b: Node | null): boolean {
  return b !== null && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

function unnamedChild(node: Node): Node | null {
  for (let i = 0; i < node.childCount; i++) {
    const child = node.child(i);
    if (child?.isNamed && node.fieldNameForChild(i) === null) return child;
  }
  return null;
}
