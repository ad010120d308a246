import type { AslDefinition } from '../../lib/resolve-definition';

// biome-ignore lint/suspicious/noExplicitAny: ASL states are open-ended JSON
type AslState = Record<string, any>;

/**
 * A Mermaid flowchart of a state machine definition, drawn the way DESIGN.md tells the refresh:
 *
 * - a polled step (Task → Wait → Check → "done?" Choice, with its "took too long" exit) is one node, marked ⟳;
 * - a Choice on whether a step runs is a diamond with "yes" and "no" edges;
 * - a Catch is a dotted "fails" edge to where the failure goes, through the Pass states that only note the
 *   failed step (named "… failed", "… took too long" or "Note the execution"), which are left out.
 */
export function stateMachineDiagram(definition: AslDefinition): string {
  const states = definition.States;
  const polls = findPolls(states);
  /** The node a state is drawn as: itself, or the polled step it belongs to. */
  const nodeOf = new Map<string, string>();
  for (const [name] of Object.entries(states)) nodeOf.set(name, name);
  for (const poll of polls) for (const member of poll.members) nodeOf.set(member, poll.task);
  const polled = new Set(polls.map((poll) => poll.task));

  const ids = new Map<string, string>();
  const idOf = (name: string) => {
    let id = ids.get(name);
    if (id === undefined) {
      id = `s${ids.size}`;
      ids.set(name, id);
    }
    return id;
  };

  /** Skips the Pass states that only note a failure, to the state they lead to. */
  const through = (name: string): string => {
    const seen = new Set<string>();
    let current = name;
    while (isFailureNote(current, states[current]) && !seen.has(current)) {
      seen.add(current);
      current = String(states[current]?.Next);
    }
    return nodeOf.get(current) ?? current;
  };

  const lines: string[] = [];
  const edges = new Set<string>();
  const edge = (from: string, to: string, style: 'normal' | 'fails', label?: string) => {
    const target = through(to);
    if (target === from) return;
    const arrow = style === 'fails' ? '-.->' : '-->';
    const text = `  ${idOf(from)} ${arrow}${label ? `|${label}|` : ''} ${idOf(target)}`;
    if (!edges.has(text)) {
      edges.add(text);
      lines.push(text);
    }
  };

  const drawn = [...new Set([...Object.keys(states)].map((name) => nodeOf.get(name) ?? name))].filter(
    (name) => !isFailureNote(name, states[name]),
  );
  const nodes = drawn.map((name) => `  ${idOf(name)}${shape(name, states[name] ?? {}, polled.has(name))}`);

  for (const name of drawn) {
    const state = states[name] ?? {};
    const poll = polls.find((candidate) => candidate.task === name);
    if (poll) {
      edge(name, poll.done, 'normal');
      for (const failure of poll.failures) edge(name, failure, 'fails', 'fails');
      continue;
    }
    if (state.Type === 'Choice') {
      const choices = (state.Choices ?? []) as AslState[];
      for (const choice of choices)
        edge(name, String(choice.Next), 'normal', choices.length === 1 ? 'yes' : undefined);
      if (state.Default) edge(name, String(state.Default), 'normal', choices.length === 1 ? 'no' : undefined);
      continue;
    }
    if (state.Next) edge(name, String(state.Next), 'normal');
    for (const caught of (state.Catch ?? []) as AslState[]) edge(name, String(caught.Next), 'fails', 'fails');
  }
  return ['flowchart TD', ...nodes, ...lines].join('\n');
}

/** A Task polled by a wait/check loop, and the states of its loop. */
interface Poll {
  readonly task: string;
  readonly members: readonly string[];
  /** Where the loop goes once the operation is done. */
  readonly done: string;
  /** Where its Catches and its "took too long" exit lead. */
  readonly failures: readonly string[];
}

/** Task → Wait → Check Task → Choice that loops back to the Wait: the shape lib/constructs/poller.ts builds. */
function findPolls(states: Record<string, AslState>): Poll[] {
  const polls: Poll[] = [];
  for (const [task, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    const wait = String(state.Next);
    if (states[wait]?.Type !== 'Wait') continue;
    const check = String(states[wait]?.Next);
    if (states[check]?.Type !== 'Task') continue;
    const choice = String(states[check]?.Next);
    const choices = (states[choice]?.Choices ?? []) as AslState[];
    if (states[choice]?.Type !== 'Choice' || !choices.some((c) => c.Next === wait)) continue;
    const exits = choices.map((c) => String(c.Next)).filter((next) => next !== wait);
    const catches = [state, states[check]].flatMap((s) =>
      ((s?.Catch ?? []) as AslState[]).map((c) => String(c.Next)),
    );
    polls.push({
      task,
      members: [wait, check, choice],
      done: String(states[choice]?.Default),
      failures: [...new Set([...catches, ...exits])],
    });
  }
  return polls;
}

const FAILURE_NOTE = /(?: failed| took too long|^Note the execution)$/;

function isFailureNote(name: string, state: AslState | undefined): boolean {
  return state?.Type === 'Pass' && FAILURE_NOTE.test(name);
}

function shape(name: string, state: AslState, polled: boolean): string {
  const label = JSON.stringify(polled ? `${name} ⟳` : name);
  switch (state.Type) {
    case 'Choice':
      return `{${label}}`;
    case 'Succeed':
    case 'Fail':
      return `([${label}])`;
    case 'Wait':
      return `[/${label}/]`;
    default:
      return `[${label}]`;
  }
}
