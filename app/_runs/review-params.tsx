"use client";
/**
 * The parameters a run executed, per node, editable in place: the reviewer tightens a guard (or changes
 * anything else), writes what and why, and re-runs. Only changed values are sent; the server applies them to
 * the run's own document, validates, saves a new version and links the new run to this one.
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
  readonly onRerun: (changes: ParamChange[], message: string, onError: (message: string) => void) => void;
}) {
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
                        data-testid={`review.${node.id}.${param}`}
                      >
                        {options.map((option) => {
                          const optionValue =
                            typeof option === "object" && option !== null && "value" in option
                              ? (option as { value: unknown }).value
                              : option;
                          return (
                            <option key={String(optionValue)} value={String(optionValue)}>
                              {String(optionValue)}
                            </option>
                          );
                        })}
                      </select>
                    ) : (
                      <input
                        className="input run-param-input"
                        value={edited ?? display(value)}
                        onChange={(event) => setEdits({ ...edits, [key]: event.target.value })}
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
      <div className="run-head" style={{ marginTop: 12 }}>
        <input
          className="input"
          style={{ flex: 1 }}
          placeholder="What did you change and why? (the new version's message)"
          value={message}
          maxLength={500}
          onChange={(event) => setMessage(event.target.value)}
          data-testid="review.message"
        />
        <button
          type="button"
          className="btn btn-primary"
          disabled={changes.length === 0 || props.busy}
          onClick={() => {
            setError(null);
            props.onRerun(changes, message, setError);
          }}
          data-testid="review.rerun"
        >
          {props.busy
            ? "Starting…"
            : `Re-run with ${changes.length} change${changes.length === 1 ? "" : "s"}`}
        </button>
      </div>
      {error ? (
        <div className="banner banner-error" role="alert" data-testid="review.error">
          {error}
        </div>
      ) : null}
    </div>
  );
}
