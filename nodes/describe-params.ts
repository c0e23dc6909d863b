/**
 * Reads a node's params zod schema into plain field descriptors, so the editor's generic form and the server
 * take defaults, bounds and widget hints from ONE place: the schema in the node's file.
 */
import { z } from "zod";
import type { AnyNodeDefinition, ParamWidget, ParamWidgetHints, VisibleWhen } from "./types";

export type ParamValueKind = "number" | "integer" | "string" | "boolean" | "enum" | "array" | "tuple";

export interface ParamOption {
  value: string;
  label: string;
}

/** One element of a list or tuple param. */
export interface ParamItemDescriptor {
  valueKind: ParamValueKind;
  label?: string;
  min?: number;
  max?: number;
}

export interface ParamFieldDescriptor {
  name: string;
  widget: ParamWidget;
  label: string;
  help: string;
  valueKind: ParamValueKind;
  /** The value a new node gets (undefined only for optional params without a default). */
  default: unknown;
  /** Numbers: smallest and largest allowed value. */
  min?: number;
  max?: number;
  step?: number;
  unit?: string;
  scale: "linear" | "log";
  /** Enums: the allowed values, in schema order, with display labels. */
  options?: ParamOption[];
  /** Strings: length bounds. */
  minLength?: number;
  maxLength?: number;
  /** Arrays: the element, and how many elements are allowed. */
  item?: ParamItemDescriptor;
  minItems?: number;
  maxItems?: number;
  /** Tuples: one descriptor per position. */
  items?: ParamItemDescriptor[];
  optional: boolean;
  visibleWhen?: VisibleWhen;
  advanced: boolean;
  placeholder?: string;
  accept?: string;
}

type Meta = Partial<ParamWidgetHints>;

/** Peels default/optional/nullable wrappers, collecting `.meta()` from each layer (outer layers win). */
function unwrap(schema: z.ZodType): { base: z.ZodType; meta: Meta; optional: boolean } {
  const layers: z.ZodType[] = [];
  let current: z.ZodType = schema;
  let optional = false;
  for (;;) {
    layers.push(current);
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
      optional = true;
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodReadonly) {
      current = current.unwrap() as z.ZodType;
    } else {
      break;
    }
  }
  const meta: Meta = {};
  for (const layer of layers.reverse()) Object.assign(meta, z.globalRegistry.get(layer) ?? {});
  return { base: current, meta, optional };
}

function finiteOrUndefined(value: number | null | undefined): number | undefined {
  return value === null || value === undefined || !Number.isFinite(value) ? undefined : value;
}

/** Bounds a zod number schema enforces; `z.int()`'s implicit safe-integer limits are not user bounds. */
function numberBounds(schema: z.ZodNumber): { min?: number; max?: number; integer: boolean } {
  const integer = schema.format === "safeint" || schema.format === "int32" || schema.format === "uint32";
  const min = finiteOrUndefined(schema.minValue);
  const max = finiteOrUndefined(schema.maxValue);
  return {
    integer,
    ...(min !== undefined && min !== Number.MIN_SAFE_INTEGER ? { min } : {}),
    ...(max !== undefined && max !== Number.MAX_SAFE_INTEGER ? { max } : {}),
  };
}

/** Length checks of arrays live in `def.checks`; zod exposes no getter for them. */
function lengthBounds(schema: z.ZodArray): { minItems?: number; maxItems?: number } {
  const bounds: { minItems?: number; maxItems?: number } = {};
  for (const check of schema.def.checks ?? []) {
    const def: Record<string, unknown> = { ...check._zod.def };
    if (def.check === "max_length" && typeof def.maximum === "number") bounds.maxItems = def.maximum;
    if (def.check === "min_length" && typeof def.minimum === "number") bounds.minItems = def.minimum;
    if (def.check === "length_equals" && typeof def.length === "number") {
      bounds.minItems = def.length;
      bounds.maxItems = def.length;
    }
  }
  return bounds;
}

function describeItem(schema: z.ZodType, label: string | undefined): ParamItemDescriptor {
  const { base } = unwrap(schema);
  const withLabel = label === undefined ? {} : { label };
  if (base instanceof z.ZodNumber) {
    const { integer, ...bounds } = numberBounds(base);
    return { valueKind: integer ? "integer" : "number", ...bounds, ...withLabel };
  }
  if (base instanceof z.ZodBoolean) return { valueKind: "boolean", ...withLabel };
  if (base instanceof z.ZodEnum) return { valueKind: "enum", ...withLabel };
  return { valueKind: "string", ...withLabel };
}

function defaultWidget(valueKind: ParamValueKind): ParamWidget {
  switch (valueKind) {
    case "boolean":
      return "checkbox";
    case "enum":
      return "select";
    case "string":
      return "text";
    case "array":
    case "tuple":
      return "numberList";
    default:
      return "number";
  }
}

/** Describes one field of a params schema. */
export function describeParamField(name: string, field: z.ZodType): ParamFieldDescriptor {
  const { base, meta, optional } = unwrap(field);
  const parsedDefault = field.safeParse(undefined);
  const defaultValue = parsedDefault.success ? parsedDefault.data : undefined;

  let valueKind: ParamValueKind = "string";
  const extra: Partial<ParamFieldDescriptor> = {};
  if (base instanceof z.ZodNumber) {
    const { integer, ...bounds } = numberBounds(base);
    valueKind = integer ? "integer" : "number";
    Object.assign(extra, bounds);
  } else if (base instanceof z.ZodString) {
    valueKind = "string";
    const minLength = finiteOrUndefined(base.minLength);
    const maxLength = finiteOrUndefined(base.maxLength);
    if (minLength !== undefined) extra.minLength = minLength;
    if (maxLength !== undefined) extra.maxLength = maxLength;
  } else if (base instanceof z.ZodBoolean) {
    valueKind = "boolean";
  } else if (base instanceof z.ZodEnum) {
    valueKind = "enum";
    extra.options = base.options.map((value) => {
      const text = String(value);
      return { value: text, label: meta.optionLabels?.[text] ?? text };
    });
  } else if (base instanceof z.ZodArray) {
    valueKind = "array";
    extra.item = describeItem(base.element as z.ZodType, undefined);
    Object.assign(extra, lengthBounds(base));
  } else if (base instanceof z.ZodTuple) {
    valueKind = "tuple";
    extra.items = (base.def.items as z.ZodType[]).map((item, index) =>
      describeItem(item, meta.itemLabels?.[index]),
    );
  } else {
    throw new Error(
      `Parameter "${name}" uses a zod type the form cannot draw (${base.def.type}). Use a number, string, ` +
        "boolean, enum, array or tuple.",
    );
  }

  return {
    name,
    widget: meta.widget ?? defaultWidget(valueKind),
    label: meta.label ?? name,
    help: meta.help ?? "",
    valueKind,
    default: defaultValue,
    ...extra,
    ...(meta.step !== undefined ? { step: meta.step } : {}),
    ...(meta.unit !== undefined ? { unit: meta.unit } : {}),
    scale: meta.scale ?? "linear",
    optional,
    ...(meta.visibleWhen !== undefined ? { visibleWhen: meta.visibleWhen } : {}),
    advanced: meta.advanced ?? false,
    ...(meta.placeholder !== undefined ? { placeholder: meta.placeholder } : {}),
    ...(meta.accept !== undefined ? { accept: meta.accept } : {}),
  };
}

const descriptorCache = new WeakMap<AnyNodeDefinition, readonly ParamFieldDescriptor[]>();

/** The form fields of a node type, in declaration order. Cached per definition. */
export function describeParams(definition: AnyNodeDefinition): readonly ParamFieldDescriptor[] {
  const cached = descriptorCache.get(definition);
  if (cached) return cached;
  const fields = Object.entries(definition.params.shape).map(([name, field]) =>
    describeParamField(name, field as z.ZodType),
  );
  descriptorCache.set(definition, fields);
  return fields;
}

/** Whether a field is shown, given the node's current params (hidden fields keep their values). */
export function isParamVisible(
  field: ParamFieldDescriptor,
  params: Readonly<Record<string, unknown>>,
): boolean {
  if (!field.visibleWhen) return true;
  const value = params[field.visibleWhen.param];
  return field.visibleWhen.equals.some((allowed) => allowed === value);
}

/** The display label of a param, falling back to its name. */
export function paramLabel(definition: AnyNodeDefinition, param: string): string {
  return describeParams(definition).find((field) => field.name === param)?.label ?? param;
}
