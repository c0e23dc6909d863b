"use client";
/**
 * The parameters a run executed, per node, editable in place: the reviewer tightens a guard (or changes
 * anything else), writes what and why, and either proposes the change (a proposal run, no new version; the
 * only choice for reviewers) or — with edit access — saves it as the workflow's next version and runs that.
 * Only changed values are sent; the server applies them to the run's own document and validates them.
 */
import { useState } from "react";
import { ParameterLabel, ParameterValue } from "@/app/_components/parameter-value";
import { ParamField } from "@/app/_editor/ui/param-field";
import { imageSizeRuleOf, useModelOptions } from "@/app/_editor/ui/use-model-options";
import { describeParams, isParamVisible } from "@/nodes/describe-params";
import type { GraphDocument } from "@/nodes/graph/document";
import { issueNodeName } from "@/nodes/graph/format-issues";
import { getNodeDefinition } from "@/nodes/registry";

export interface ParamChange {
  nodeId: string;
  param: string;
  value: unknown;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const noCommit = () => undefined;

export function ReviewParams(props: {
  readonly document: GraphDocument;
  readonly busy: boolean;
  /** Save as the next version and run (editors and the owner); absent for those who cannot. */
  readonly onRerun?: (changes: ParamChange[], message: string, onError: (message: string) => void) => void;
  /** Propose the change and run the proposal (reviewers and up); absent for viewers. */
  readonly onPropose?: (changes: ParamChange[], message: string, onError: (message: string) => void) => void;
}) {
  const { onRerun, onPropose } = props;
  const readOnly = !onRerun && !onPropose;
  const { modelOptions } = useModelOptions();
  // Edited values by node, then param: the editor's own fields send typed values.
  const [edits, setEdits] = useState<Record<string, Record<string, unknown>>>({});
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const changes: ParamChange[] = props.document.nodes.flatMap((node) =>
    Object.entries(edits[node.id] ?? {})
      .filter(([param, value]) => !sameValue(value, node.params[param]))
      .map(([param, value]) => ({ nodeId: node.id, param, value })),
  );
  return (
    <div className="run-card" data-testid="review">
      <div className="review-nodes">
        {props.document.nodes.map((node) => {
          const definition = getNodeDefinition(node.type);
          const fields = definition ? describeParams(definition) : [];
          const params = { ...node.params, ...edits[node.id] };
          // The parameters that apply to this node's current settings, drawn by the editor's own fields.
          const visible = fields.filter((field) => isParamVisible(field, params));
          const undeclared = Object.keys(node.params).filter(
            (param) => !fields.some((field) => field.name === param),
          );
          if (visible.length + undeclared.length === 0) return null;
          return (
            <fieldset className="review-node" key={node.id} data-testid={`review.node.${node.id}`}>
              <legend>{issueNodeName(node, definition)}</legend>
              {visible.map((field) => (
                <div
                  key={field.name}
                  className={
                    sameValue(params[field.name], node.params[field.name]) ? undefined : "run-diff-changed"
                  }
                >
                  <ParamField
                    nodeId={node.id}
                    testIdPrefix="review"
                    field={field}
                    value={params[field.name]}
                    readOnly={readOnly}
                    modelOptions={modelOptions}
                    imageSizeRule={
                      field.widget === "imageSize" ? imageSizeRuleOf(modelOptions, params) : undefined
                    }
                    onChange={(param, value) =>
                      setEdits((previous) => ({
                        ...previous,
                        [node.id]: { ...previous[node.id], [param]: value },
                      }))
                    }
                    onCommit={noCommit}
                  />
                </div>
              ))}
              {undeclared.map((param) => (
                // A setting this version of the app no longer declares: shown, not editable.
                <div className="param" key={param}>
                  <ParameterLabel nodeType={node.type} param={param} />
                  <ParameterValue nodeType={node.type} param={param} value={node.params[param]} />
                </div>
              ))}
            </fieldset>
          );
        })}
      </div>
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
