/**
 * THE read-only rendering of a saved parameter outside the editor (run page, compare page): the node type's
 * declared label and unit, and the value in the editor's words (`nodes/param-display.ts`). Long values wrap
 * and carry the whole text as a title; nothing is cut. Pages never format parameters themselves.
 */
import { describeParameter, displayParameter } from "@/nodes/param-display";

/** "Learning rate", "Patience (iterations)", with the field's help as hover text. */
export function ParameterLabel(props: { readonly nodeType: string; readonly param: string }) {
  const display = describeParameter(props.nodeType, props.param);
  return (
    <span className="parameter-label" title={display.help || undefined}>
      {display.label}
      {display.unit ? <span className="faint"> ({display.unit})</span> : null}
    </span>
  );
}

/** The value as the editor's widget shows it ("Adam", "0.9, 0.999", "on"). */
export function ParameterValue(props: {
  readonly nodeType: string;
  readonly param: string;
  readonly value: unknown;
  readonly testId?: string;
}) {
  const { text } = displayParameter(props.nodeType, props.param, props.value);
  return (
    <span className="parameter-value" title={text} data-testid={props.testId}>
      {text}
    </span>
  );
}
