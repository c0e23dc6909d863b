"use client";
/**
 * The parameters a run executed, per node, editable in place: the reviewer tightens a guard (or changes
 * anything else), writes what and why, and either proposes the change (a proposal run, no new version; the
 * only choice for reviewers) or — with edit access — saves it as the workflow's next version and runs that.
 * Only changed values are sent; the server applies them to the run's own document and validates them.
 */
import { useState } from "react";
import { describeParams, isParamVisible } from "@/nodes/describe-params";
import type { GraphDocument } from "@/nodes/graph/document";
import { getNodeDefinition } from "@/nodes/registry";

export interface ParamChange {
  nodeId: string;
  param: string;
  value: unknown;
}

function parseEdited(original: unknown, text: string): unknown {
  if (typeof original === "number") {
    const value = Number(text);
    return text.trim() === "" || !Number.isFinite(value) ? original : value;
  }
  if (typeof original === "boolean") return text === "true";
  if (typeof original === "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return original;
  }
}

function display(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function ReviewParams(props: {
  readonly document: GraphDocument;
  readonly busy: boolean;
  /** Save as the next version and run (editors and the owner); absent for those who cannot. */
  readonly onRerun?: (changes: ParamChange[], message: string, onError: (message: string) => void) => void;
  /** Propose the change and run the proposal (reviewers and up); absent for viewers. */
  readonly onPropose?: (changes: ParamChange[], message: string, onError: (message: string) => void) => void;
}) {
  const { onRerun, onPropose } = props;
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const changes: ParamChange[] = [];
  for (const node of props.document.nodes) {
    for (const [param, original] of Object.entries(node.params)) {
      const edited = edits[`${node.id}\u0000${param}`];
      if (edited === undefined) continue;
      const value = parseEdited(original, edited);
      if (JSON.stringify(value) !== JSON.stringify(original)) changes.push({ nodeId: node.id, param, value });
    }
  }
  return (
    <div className="run-card" data-testid="review">
      <table className="run-table">
        <thead>
          <tr>
            <th>Node</th>
            <th>Parameter</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {props.document.nodes.flatMap((node) => {
            const definition = getNodeDefinition(node.type);
            const fields = definition ? describeParams(definition) : [];
            // Only the parameters that apply to this node's current settings, as in the editor's card.
            const visible = Object.entries(node.params).filter(([param]) => {
              const field = fields.find((candidate) => candidate.name === param);
              return !field || isParamVisible(field, node.params);
            });
            return visible.map(([param, value], index) => {
              const field = fields.find((candidate) => candidate.name === param);
              const key = `${node.id}\u0000${param}`;
              const options =
                field && "options" in field && Array.isArray(field.options)
                  ? (field.options as unknown[])
                  : null;
              const edited = edits[key];
              const accessibleName = `${node.label ?? node.id} › ${field?.label ?? param}`;
              return (
                <tr
                  key={key}
                  className={
                    edited !== undefined && edited !== display(value) ? "run-diff-changed" : undefined
                  }
                >
                  <td>{index === 0 ? (node.label ?? node.id) : ""}</td>
                  <td>{field?.label ?? param}</td>
                  <td>
                    {options ? (
                      <select
                        className="input run-param-input"
                        value={edited ?? display(value)}
                        onChange={(event) => setEdits({ ...edits, [key]: event.target.value })}
                        disabled={!onRerun && !onPropose}
                        aria-label={accessibleName}
                        data-testid={`review.${node.id}.${param}`}
                      >
                        {options.map((option) => {
                          const optionValue =
                            typeof option === "object" && option !== null && "value" in option
                              ? (option as { value: unknown }).value
                              : option;
                          // The editor's wording for the choice ("Adam", "Initial noise and every step").
                          const optionLabel =
                            typeof option === "object" && option !== null && "label" in option
                              ? String((option as { label: unknown }).label)
                              : String(optionValue);
                          return (
                            <option key={String(optionValue)} value={String(optionValue)}>
                              {optionLabel}
                            </option>
                          );
                        })}
                      </select>
                    ) : (
                      <input
                        className="input run-param-input"
                        value={edited ?? display(value)}
                        onChange={(event) => setEdits({ ...edits, [key]: event.target.value })}
                        readOnly={!onRerun && !onPropose}
                        aria-label={accessibleName}
                        data-testid={`review.${node.id}.${param}`}
                      />
                    )}
                  </td>
                </tr>
              );
            });
          })}
        </tbody>
      </table>
      {!onRerun && !onPropose ? (
        <p className="muted" data-testid="review.view-only">
          You have view access: you can read these parameters but not propose changes. Ask the owner for a
          reviewer role.
        </p>
      ) : (
        <div className="run-head" style={{ marginTop: 12 }}>
          <input
            className="input"
            style={{ flex: 1 }}
            placeholder="What did you change and why? (the proposal's title or the new version's message)"
            aria-label="What you changed and why"
            value={message}
            maxLength={500}
            onChange={(event) => setMessage(event.target.value)}
            data-testid="review.message"
          />
          {onPropose ? (
            <button
              type="button"
              className="btn btn-primary"
              disabled={changes.length === 0 || props.busy}
              title="Make a proposal with these changes and run it; the workflow does not change until the owner or an editor accepts it"
              onClick={() => {
                setError(null);
                onPropose(changes, message, setError);
              }}
              data-testid="review.propose"
            >
              {props.busy
                ? "Starting…"
                : `Propose and run ${changes.length} change${changes.length === 1 ? "" : "s"}`}
            </button>
          ) : null}
          {onRerun ? (
            <button
              type="button"
              className="btn"
              disabled={changes.length === 0 || props.busy}
              title="Save the changes as the workflow's next version and run it"
              onClick={() => {
                setError(null);
                onRerun(changes, message, setError);
              }}
              data-testid="review.rerun"
            >
              Save as new version and run
            </button>
          ) : null}
        </div>
      )}
      {error ? (
        <div className="banner banner-error" role="alert" data-testid="review.error">
          {error}
        </div>
      ) : null}
    </div>
  );
}
