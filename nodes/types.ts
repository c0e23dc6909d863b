/**
 * The contract every node declaration follows. Node files are isomorphic: the browser imports them for the
 * palette and the parameter forms, the server for validation and execution. So nothing here may import React
 * or server-only code; the outside world reaches a node's `run` only through `NodeRunContext`.
 */
import type { z } from "zod";
import type { NodeRunContext } from "./context";

/** What travels along an edge. An output connects only to an input of the same type. */
export const PORT_TYPES = ["conditioning", "noise", "image", "reward", "guard"] as const;
export type PortType = (typeof PORT_TYPES)[number];

/** One colour per port type, shared by the node card, the edges and the minimap. */
export const PORT_COLORS: Readonly<Record<PortType, string>> = {
  conditioning: "#f59e0b",
  noise: "#8b5cf6",
  image: "#10b981",
  reward: "#ef4444",
  guard: "#3b82f6",
};

/** How a port type is named in messages and tooltips. */
export const PORT_TYPE_LABELS: Readonly<Record<PortType, string>> = {
  conditioning: "Conditioning",
  noise: "Noise",
  image: "Image",
  reward: "Reward",
  guard: "Guard",
};

export interface PortDeclaration {
  /** Stable id of the port inside its node (edges store it). */
  readonly name: string;
  readonly type: PortType;
  /** Shown on the node card. */
  readonly label: string;
  /** One sentence shown as a tooltip. */
  readonly description: string;
  /** A run is refused while a required input is unconnected. */
  readonly required?: boolean;
  /** Whether several edges may end at this input (outputs may always fan out). */
  readonly multiple?: boolean;
  /**
   * Used, and then required, only while a param holds one of these values (e.g. a Guard's keeper reward for
   * "keeper-floor"). Connected while the condition does not hold, validation warns that it is ignored.
   */
  readonly requiredWhen?: VisibleWhen;
}

export const NODE_CATEGORIES = ["Inputs", "Generation", "Objective", "Optimization"] as const;
export type NodeCategory = (typeof NODE_CATEGORIES)[number];

/** The parameter form's widgets. The zod schema carries them via `.meta(...)`. */
export const PARAM_WIDGETS = [
  "slider",
  "number",
  "seed",
  "seedList",
  "numberList",
  "text",
  "textarea",
  "select",
  "checkbox",
  "file",
  "model",
  /** A size in pixels chosen among the Sampler's model's allowed sizes (nodes/image-size.ts). */
  "imageSize",
] as const;
export type ParamWidget = (typeof PARAM_WIDGETS)[number];

/** A param is shown only while another param of the same node holds one of the listed values. */
export interface VisibleWhen {
  readonly param: string;
  readonly equals: readonly (string | number | boolean)[];
}

/**
 * Widget hints stored in a param's zod `.meta({...})`. Bounds and defaults are NOT repeated here: they live
 * in the zod schema itself (`.min`, `.max`, `.default`) and `describeParams` reads them from there.
 */
export interface ParamWidgetHints {
  readonly widget: ParamWidget;
  readonly label: string;
  /** Plain-language help shown next to the field. */
  readonly help: string;
  readonly step?: number;
  readonly unit?: string;
  /** Slider scale; "log" suits values that span decades such as a learning rate. */
  readonly scale?: "linear" | "log";
  /** Display names of enum values (value → label). */
  readonly optionLabels?: Readonly<Record<string, string>>;
  readonly visibleWhen?: VisibleWhen;
  /** Hidden behind "Advanced" in the form. */
  readonly advanced?: boolean;
  readonly placeholder?: string;
  /** File widget: accepted extensions, e.g. ".onnx". */
  readonly accept?: string;
  /** numberList widget: display names of the items (e.g. R, G, B). */
  readonly itemLabels?: readonly string[];
}

declare module "zod" {
  // Typed widget hints on every schema's .meta(): a typo in a widget name is a compile error.
  interface GlobalMeta {
    widget?: ParamWidget;
    label?: string;
    help?: string;
    step?: number;
    unit?: string;
    scale?: "linear" | "log";
    optionLabels?: Readonly<Record<string, string>>;
    visibleWhen?: VisibleWhen;
    advanced?: boolean;
    placeholder?: string;
    accept?: string;
    itemLabels?: readonly string[];
  }
}

/** A node's params schema: a zod object whose every field has a default. */
export type ParamsSchema = z.ZodObject<z.ZodRawShape>;

/** Values arriving at a node's inputs, keyed by port name (a `multiple` port receives an array). */
export type NodeInputValues = Readonly<Record<string, unknown>>;
/** Values a node produces, keyed by output port name. */
export type NodeOutputValues = Record<string, unknown>;

export interface NodeDefinition<S extends ParamsSchema = ParamsSchema> {
  /** Stable id stored in documents; never rename it (add a migration instead). */
  readonly type: string;
  /** Version of the params shape; bump it and add `migrateParams` when the shape changes. */
  readonly version: number;
  readonly title: string;
  readonly category: NodeCategory;
  /** One paragraph a non-programmer understands: what the node does and when to use it. */
  readonly description: string;
  readonly icon?: string;
  readonly color?: string;
  readonly inputs: readonly PortDeclaration[];
  readonly outputs: readonly PortDeclaration[];
  readonly params: S;
  /** Upgrades params saved by an older `version` of this node (called once per older node on load). */
  migrateParams?(fromVersion: number, params: Record<string, unknown>): Record<string, unknown>;
  /**
   * Checks that span several params or that only matter when running (e.g. a custom model chosen but no
   * file given). Each problem blocks a run, not a save: the user may save a half-finished node.
   */
  validate?(params: z.output<S>): readonly ParamProblem[];
  /**
   * Whether gradients can flow back through this node's outputs with these params (absent = yes). A
   * non-differentiable node upstream of an Optimizer needs the zeroth-order or hybrid estimator.
   */
  differentiable?(params: z.output<S>): boolean;
  /** Added by the runtime/engine issues. Touches the world only through `ctx`. */
  run?(
    ctx: NodeRunContext,
    inputs: NodeInputValues,
    params: z.output<S>,
  ): Promise<NodeOutputValues> | NodeOutputValues;
}

/** A problem `validate` found in a node's params; `message` is a sentence shown after the node's name. */
export interface ParamProblem {
  readonly param: string;
  readonly message: string;
}

/** Any node definition, whatever its params schema. */
export type AnyNodeDefinition = NodeDefinition<ParamsSchema>;

/** Params of a node definition as its `run` receives them (defaults filled in). */
export type NodeParams<D> = D extends NodeDefinition<infer S> ? z.output<S> : never;

/**
 * Declares a node type, keeping its params type. Checks at load time what the type system cannot:
 * port names unique per side, every param has a default.
 */
export function defineNode<S extends ParamsSchema>(definition: NodeDefinition<S>): NodeDefinition<S> {
  const where = `Node type "${definition.type}"`;
  if (!Number.isInteger(definition.version) || definition.version < 1) {
    throw new Error(`${where}: version must be a positive integer, got ${definition.version}.`);
  }
  for (const side of [definition.inputs, definition.outputs]) {
    const names = new Set<string>();
    for (const port of side) {
      if (names.has(port.name)) throw new Error(`${where}: port name "${port.name}" is used twice.`);
      names.add(port.name);
    }
  }
  const defaults = definition.params.safeParse({});
  if (!defaults.success) {
    throw new Error(
      `${where}: every parameter needs a default, but parsing {} failed: ${defaults.error.issues
        .map((issue) => issue.path.join("."))
        .join(", ")}.`,
    );
  }
  return definition;
}
