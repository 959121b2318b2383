/**
 * The actors' state machines as diagrams, generated from their definitions (`monasca-persister
 * diagram`): Mermaid state diagrams, or Graphviz DOT.
 *
 * Every state is drawn, compound states with their children inside, parallel regions side by side,
 * and every transition that has a target, labelled with its event (`after <delay>` for a delayed
 * one, nothing for an eventless `always`) and its guard in brackets. Transitions of the machine's
 * root apply in any state: they start from a node `any state`. Transitions without a target only
 * run actions and are not drawn.
 */
import type { AnyStateMachine } from 'xstate';
import { consumerMachine } from '../actors/consumer.js';
import { converterMachine } from '../actors/converter.js';
import { pipelineMachine } from '../actors/pipeline.js';
import { supervisorMachine } from '../actors/supervisor.js';
import { writerMachine } from '../actors/writer.js';

export const MACHINES: Readonly<Record<string, AnyStateMachine>> = {
  supervisor: supervisorMachine,
  pipeline: pipelineMachine,
  consumer: consumerMachine,
  converter: converterMachine,
  writer: writerMachine,
};

export type DiagramFormat = 'mermaid' | 'dot';

/** The parts of XState's StateNode read here. */
interface Node {
  key: string;
  id: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  states: Record<string, Node>;
  initial?: { target: readonly Node[] };
  transitions: Map<string, readonly Transition[]>;
  always?: readonly Transition[];
  invoke?: readonly { id: string; src: unknown }[];
}

interface Transition {
  eventType: string;
  target?: readonly Node[];
  guard?: unknown;
}

/** A guard as text: its name; `a and b` for and([...]), `not a` for not(a); nested ones in parentheses. */
function guardText(guard: unknown, nested = false): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === 'function') {
    const g = guard as { name?: string; guards?: unknown[] };
    if (!Array.isArray(g.guards)) return g.name || 'guard';
    const text = g.name === 'not' ? `not ${guardText(g.guards[0], true)}` : g.guards.map((x) => guardText(x, true)).join(` ${g.name} `);
    return nested ? `(${text})` : text;
  }
  return 'guard';
}

/** An event as a label: `after <delay>`, `done: <invoked actor>`, or the event type. */
function eventText(eventType: string, source: Node): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  const ended = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  const invoked = ended && source.invoke?.find((i) => i.id === ended[2]);
  if (invoked) return `${ended[1]}: ${typeof invoked.src === 'string' ? invoked.src : 'invoked'}`;
  return eventType;
}

function label(t: Transition, source: Node): string {
  const guard = guardText(t.guard);
  const event = t.eventType ? eventText(t.eventType, source) : '';
  return [event, guard ? `[${guard}]` : ''].filter(Boolean).join(' ');
}

interface Edge {
  from: Node | 'any';
  to: Node;
  label: string;
}

/** Every drawn transition of the machine. */
function edges(root: Node): Edge[] {
  const out: Edge[] = [];
  const visit = (n: Node) => {
    const from = n === root ? ('any' as const) : n;
    for (const ts of n.transitions.values()) for (const t of ts) for (const to of t.target ?? []) out.push({ from, to, label: label(t, n) });
    for (const t of n.always ?? []) for (const to of t.target ?? []) out.push({ from, to, label: label({ ...t, eventType: '' }, n) });
    for (const c of Object.values(n.states)) visit(c);
  };
  visit(root);
  return out;
}

/** Every state below the root. */
function descendants(n: Node): Node[] {
  return Object.values(n.states).flatMap((c) => [c, ...descendants(c)]);
}

/**
 * Names of the states in a diagram: the state's key when no other state of the machine has it,
 * otherwise its path below the root joined by `_`.
 */
function namer(root: Node): (n: Node) => string {
  const all = descendants(root);
  const count = new Map<string, number>();
  for (const n of all) count.set(n.key, (count.get(n.key) ?? 0) + 1);
  return (n) => (count.get(n.key) === 1 && /^[A-Za-z][A-Za-z0-9_]*$/.test(n.key) ? n.key : n.id.slice(root.id.length + 1).replace(/[^A-Za-z0-9]/g, '_'));
}

function mermaid(machine: AnyStateMachine): string {
  const root = machine.root as unknown as Node;
  const name = namer(root);
  const lines = ['stateDiagram-v2'];
  const declare = (n: Node, indent: string) => {
    const id = name(n);
    if (Object.keys(n.states).length === 0) {
      if (id !== n.key) lines.push(`${indent}state "${n.key}" as ${id}`);
      else lines.push(`${indent}${id}`);
      if (n.type === 'final') lines.push(`${indent}${id} --> [*]`);
      return;
    }
    lines.push(`${indent}state ${id} {`);
    body(n, `${indent}  `);
    lines.push(`${indent}}`);
  };
  const body = (n: Node, indent: string) => {
    const children = Object.values(n.states);
    if (n.type === 'parallel') {
      children.forEach((c, i) => {
        if (i > 0) lines.push(`${indent}--`);
        declare(c, indent);
      });
      return;
    }
    for (const target of n.initial?.target ?? []) lines.push(`${indent}[*] --> ${name(target)}`);
    for (const c of children) declare(c, indent);
  };
  body(root, '  ');
  const all = edges(root);
  if (all.some((e) => e.from === 'any')) lines.push('  state "any state" as any_state');
  for (const e of all) {
    const from = e.from === 'any' ? 'any_state' : name(e.from);
    lines.push(`  ${from} --> ${name(e.to)}${e.label ? ` : ${e.label}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function dot(machine: AnyStateMachine): string {
  const root = machine.root as unknown as Node;
  const name = namer(root);
  const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const lines = [`digraph ${quote(root.id)} {`, '  compound=true;', '  node [shape=box, style=rounded];'];
  // A compound state is a cluster; its edges attach to an invisible point inside it.
  const anchor = (n: Node) => (Object.keys(n.states).length > 0 ? `${name(n)}__in` : name(n));
  const declare = (n: Node, indent: string) => {
    const id = name(n);
    const children = Object.values(n.states);
    if (children.length === 0) {
      lines.push(`${indent}${id} [label=${quote(n.key)}${n.type === 'final' ? ', peripheries=2' : ''}];`);
      return;
    }
    lines.push(`${indent}subgraph cluster_${id} {`, `${indent}  label=${quote(n.type === 'parallel' ? `${n.key} (parallel)` : n.key)};`);
    lines.push(`${indent}  ${anchor(n)} [shape=point, style=invis];`);
    for (const target of n.initial?.target ?? []) lines.push(`${indent}  ${id}__initial [shape=point]; ${id}__initial -> ${anchor(target)};`);
    for (const c of children) declare(c, `${indent}  `);
    lines.push(`${indent}}`);
  };
  for (const target of root.initial?.target ?? []) lines.push(`  __initial [shape=point]; __initial -> ${anchor(target)};`);
  for (const c of Object.values(root.states)) declare(c, '  ');
  const all = edges(root);
  if (all.some((e) => e.from === 'any')) lines.push('  any_state [label="any state", shape=plaintext];');
  for (const e of all) {
    const from = e.from === 'any' ? 'any_state' : anchor(e.from);
    const attrs = [e.label ? `label=${quote(e.label)}` : '', e.from !== 'any' && Object.keys(e.from.states).length > 0 ? `ltail=cluster_${name(e.from)}` : '', Object.keys(e.to.states).length > 0 ? `lhead=cluster_${name(e.to)}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${from} -> ${anchor(e.to)}${attrs ? ` [${attrs}]` : ''};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The diagram of one machine. */
export function diagram(machine: AnyStateMachine, format: DiagramFormat): string {
  return format === 'dot' ? dot(machine) : mermaid(machine);
}

/** A machine's states as plain data (for the live inspector's page): nested, with their transitions. */
export interface StateTree {
  key: string;
  type: Node['type'];
  initial?: string;
  states: StateTree[];
  /** Transitions with a target: label and the target's path below the root (dot-separated). */
  on: { label: string; target: string }[];
}

export function stateTree(machine: AnyStateMachine): StateTree {
  const root = machine.root as unknown as Node;
  const path = (n: Node) => n.id.slice(root.id.length + 1);
  const all = edges(root);
  const build = (n: Node): StateTree => ({
    key: n === root ? root.id : n.key,
    type: n.type,
    initial: n.initial?.target[0]?.key,
    states: Object.values(n.states).map(build),
    on: all.filter((e) => (e.from === 'any' ? n === root : e.from === n)).map((e) => ({ label: e.label, target: path(e.to) })),
  });
  return build(root);
}
