/**
 * How a saved parameter reads outside the editor (run page, compare page, review table): the declaration's
 * label and unit, and the value worded as the editor's widget shows it — a select's option label, a list as
 * the list field shows it ("0.9, 0.999"), a checkbox as on/off. Pure and isomorphic, so the same words serve
 * every page and are unit-tested without rendering; `app/_components/parameter-value.tsx` draws them.
 */
import { describeParams, type ParamFieldDescriptor } from "./describe-params";
import { numberText } from "./graph/format-issues";
import { MODEL_DEFAULT_IMAGE_SIZE } from "./image-size";
import { getNodeDefinition } from "./registry";

export interface ParameterDisplay {
  /** The editor's label ("Learning rate"), or the key when the node type does not declare it. */
  readonly label: string;
  /** The unit the editor shows next to the label, if any. */
  readonly unit?: string;
  /** The label with its unit, as the card's field heading: "Guidance scale (×)". */
  readonly heading: string;
  /** The field's help paragraph ("" when none). */
  readonly help: string;
  readonly field?: ParamFieldDescriptor;
}

/** The field a node type declares for `key`, or undefined (unknown type, or a key it does not declare). */
export function parameterField(nodeType: string, key: string): ParamFieldDescriptor | undefined {
  const definition = getNodeDefinition(nodeType);
  return definition ? describeParams(definition).find((field) => field.name === key) : undefined;
}

export function describeParameter(nodeType: string, key: string): ParameterDisplay {
  const field = parameterField(nodeType, key);
  const label = field?.label ?? key;
  return {
    label,
    ...(field?.unit ? { unit: field.unit } : {}),
    heading: field?.unit ? `${label} (${field.unit})` : label,
    help: field?.help ?? "",
    ...(field ? { field } : {}),
  };
}

function itemText(item: unknown): string {
  if (typeof item === "number") return numberText(item);
  if (typeof item === "string") return item;
  return JSON.stringify(item);
}

/**
 * A value in the editor's words. Never shortened: pages wrap long text instead of cutting it. A value that
 * does not fit its field (an old document) is still shown, plainly.
 */
export function parameterValueText(value: unknown, field: ParamFieldDescriptor | undefined): string {
  if (value === undefined || value === null) return "(not set)";
  if (typeof value === "string") {
    const option = field?.options?.find((candidate) => candidate.value === value);
    if (option) return option.label;
    return value === "" ? "(empty)" : value;
  }
  if (typeof value === "number") {
    if (field?.widget === "imageSize" && value === MODEL_DEFAULT_IMAGE_SIZE) return "Model default";
    return numberText(value);
  }
  if (typeof value === "boolean") return value ? "on" : "off";
  // List and tuple fields are typed as comma-separated values in the editor.
  if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.map(itemText).join(", ");
  return JSON.stringify(value);
}

/** Label and value text of one parameter of a node of type `nodeType`. */
export function displayParameter(
  nodeType: string,
  key: string,
  value: unknown,
): ParameterDisplay & { readonly text: string } {
  const display = describeParameter(nodeType, key);
  return { ...display, text: parameterValueText(value, display.field) };
}
