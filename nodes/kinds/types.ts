/**
 * Kinds inside a node type (a Reward's kind, a Guard's kind, an Optimizer's algorithm and gradient
 * estimator), each declared once: id (stored in documents, never rename it), labels and help, which of the
 * node's params and ports apply to it, and what the planner needs to know. Isomorphic like every node
 * declaration: no server imports. The server keeps its implementations in server/kinds/, keyed by the same
 * ids, so browser bundles never pull server code; a declared kind without an implementation is a type error
 * there.
 */
import type { ParamProblem, VisibleWhen } from "../types";

export interface KindDeclaration<Id extends string = string> {
  /** Stable id stored in documents (the node's select param holds it). */
  readonly id: Id;
  /** The option's name in the select. */
  readonly label: string;
  /** One or two sentences a non-programmer understands: what this kind does and when to pick it. */
  readonly help: string;
  /** Position in the select (ascending); the files are read in name order, the user sees this order. */
  readonly order: number;
  /** The node's params that apply to this kind (shown and used only while it is chosen). */
  readonly params: readonly string[];
  /** Input ports used, and then required, only while this kind is chosen. */
  readonly requiredPorts?: readonly string[];
}

/**
 * How a reward's gradient is pulled back: closed-form image gradients, the classifier's VJP model, the
 * scoring model's VJP after the preprocessing adjoint, or none (the Optimizer needs an estimator).
 */
export type RewardGradientKind = "analytic" | "classifier-vjp" | "onnx-vjp" | "none";

/**
 * How a reward whose own value is not what a person maximises is shown (nodes/kinds/score-display.ts): as the
 * share of its first iteration's value saved ("JPEG size: 14 % smaller than at the start"). The
 * engine's value, the objective and every gradient stay as they are: this is display only.
 */
export interface RewardShownAs {
  /** "saved": 1 − value/start, for a reward that is minus a size (the JPEG size: 0.14 = 14 % smaller). */
  readonly relativeToStart: "saved";
  /** What the share is of, completing "… 14 % smaller than at the start": e.g. "JPEG size". */
  readonly what: string;
}

export interface RewardKindDeclaration<Id extends string = string> extends KindDeclaration<Id> {
  readonly gradient: RewardGradientKind;
  /** Shown relative to the run's first picture instead of as the raw value (see RewardShownAs). */
  readonly shownAs?: RewardShownAs;
  /** Checks that only matter when running with this kind (blocks a run, not a save). */
  validate?(params: Readonly<Record<string, unknown>>): readonly ParamProblem[];
}

/**
 * Where a guard acts: on the optimized noise itself (a penalty or a constraint), on a keeper reward's
 * value (its `reward` input), on the decoded picture (a penalty with an image gradient, pulled back through
 * the chain like a reward's), or on the loop (the objective's history, or the iterates).
 */
export type GuardAttachment = "noise" | "keeper-reward" | "image" | "loop";

export interface GuardKindDeclaration<Id extends string = string> extends KindDeclaration<Id> {
  readonly attachTo: GuardAttachment;
  /**
   * The keys under which the engine reports this guard in an iteration record's `guards` (the run view
   * and the CLI show them on this node). `keeperRewardId` is the keeper Reward's node id, when attached.
   */
  reportKeys(keeperRewardId: string | undefined): readonly string[];
  /**
   * What it means when this guard fired, in plain words, completing "On iterations 12–18 …" (the run page
   * explains each guard with it; fired = it materially changed the update or stopped the run).
   */
  readonly whenFired: string;
  /** What it means that it never fired (completing "It never fired: …"). */
  readonly whenQuiet: string;
}

export interface OptimizerAlgorithmDeclaration<Id extends string = string> extends KindDeclaration<Id> {}

export interface GradientEstimatorDeclaration<Id extends string = string> extends KindDeclaration<Id> {
  /**
   * Which rewards it estimates a direction for: none (exact backprop; a reward without a gradient is
   * refused), only those without a gradient (the rest are backpropagated), or all of them and the Sampler.
   */
  readonly estimates: "none" | "rewards-without-gradient" | "everything";
}

export function defineRewardKind<const Id extends string>(
  declaration: RewardKindDeclaration<Id>,
): RewardKindDeclaration<Id> {
  return declaration;
}

export function defineGuardKind<const Id extends string>(
  declaration: GuardKindDeclaration<Id>,
): GuardKindDeclaration<Id> {
  return declaration;
}

/** The declarations in select order. */
export function inSelectOrder<K extends KindDeclaration>(kinds: readonly K[]): K[] {
  return [...kinds].sort((a, b) => a.order - b.order);
}

/** The select's option labels, in declaration order. */
export function kindOptionLabels(kinds: readonly KindDeclaration[]): Record<string, string> {
  return Object.fromEntries(kinds.map((kind) => [kind.id, kind.label]));
}

/** The ids as a non-empty tuple for `z.enum`. */
export function kindIds<Id extends string>(kinds: readonly KindDeclaration<Id>[]): [Id, ...Id[]] {
  const ids = kinds.map((kind) => kind.id);
  if (ids.length === 0) throw new Error("A kind select needs at least one declared kind.");
  return ids as [Id, ...Id[]];
}

/** `visibleWhen` for a param: the kinds (of the select `param`) that list it among their params. */
export function appliesTo(kinds: readonly KindDeclaration[], name: string, param = "kind"): VisibleWhen {
  return { param, equals: kinds.filter((kind) => kind.params.includes(name)).map((kind) => kind.id) };
}

/** `requiredWhen` for an input port: the kinds that list it among their required ports. */
export function requiredFor(kinds: readonly KindDeclaration[], port: string, param = "kind"): VisibleWhen {
  return {
    param,
    equals: kinds.filter((kind) => kind.requiredPorts?.includes(port)).map((kind) => kind.id),
  };
}
