"use client";
/**
 * THE node card: one component for every node type, drawn from the registry's declaration (title,
 * category colour, ports, help) and the params schema (the form). Adding a node type needs no UI code.
 */
import { Handle, type Node, type NodeProps, Position, type ReactFlowState, useStore } from "@xyflow/react";
import { createContext, Fragment, memo, useCallback, useContext, useMemo, useState } from "react";
import { describeParams, isParamVisible } from "@/nodes/describe-params";
import { NodeRunBadge } from "@/app/_runs/node-run-badge";
import type { ImageSizeRule } from "@/nodes/image-size";
import { getNodeDefinition } from "@/nodes/registry";
import { type AnyNodeDefinition, PORT_COLORS, PORT_TYPE_LABELS, type PortDeclaration } from "@/nodes/types";
import type { GraphIssue, GraphNode } from "../core/types";
import { categoryColor } from "./category-colors";
import { EditorStoreContext, ReadOnlyContext } from "./editor-context";
import { ParamField } from "./param-field";
import { imageSizeRuleOf } from "./use-model-options";
import { InfoIcon } from "@/app/_components/icons";
import { NodeCommentBadge, ParamCommentMarker } from "@/app/_comments/node-comment-badge";

export interface CardData extends Record<string, unknown> {
  readonly node: GraphNode;
  readonly issues: readonly GraphIssue[] | undefined;
}

export type CardNode = Node<CardData, "card">;

/** One entry of the "model" widget: the model's id, its name, and what its folder says about it. */
export interface ModelOption {
  readonly value: string;
  readonly label: string;
  /** The first paragraph of its MODEL_CARD.md. */
  readonly summary?: string;
  /** The words it was trained on. */
  readonly vocabulary?: readonly string[];
  /** Its sample grid (/api/models/samples). */
  readonly samplesUrl?: string;
  /** Which image sizes it can draw (the Sampler's Image size choices). */
  readonly imageSize?: ImageSizeRule;
}

/** Options of the "model" widget (the server's model list), or null while unknown. */
export const ModelOptionsContext = createContext<readonly ModelOption[] | null>(null);

const NO_ISSUES: readonly GraphIssue[] = [];

/**
 * Below this zoom the form is unreadable anyway, so cards draw only title, ports and problem count (level
 * of detail): a zoomed-out 300-node graph then costs a fraction of the DOM. A boolean selector re-renders a
 * card only when the zoom crosses the threshold.
 */
export const COMPACT_CARD_ZOOM = 0.35;
const isZoomedOut = (state: ReactFlowState) => state.transform[2] < COMPACT_CARD_ZOOM;

function PortRow(props: { nodeId: string; port: PortDeclaration; side: "in" | "out"; readOnly: boolean }) {
  const { nodeId, port, side } = props;
  const color = PORT_COLORS[port.type];
  return (
    <div
      className={`node-port ${side}`}
      title={`${PORT_TYPE_LABELS[port.type]} — ${port.description}`}
      data-testid={`port.${nodeId}.${side}.${port.name}`}
    >
      <Handle
        id={port.name}
        type={side === "in" ? "target" : "source"}
        position={side === "in" ? Position.Left : Position.Right}
        className="port-handle"
        style={{ background: color }}
        isConnectable={!props.readOnly}
        data-testid={`handle.${nodeId}.${side}.${port.name}`}
      />
      {side === "in" ? <span className="port-dot" style={{ background: color }} /> : null}
      <span>
        {port.label}
        {side === "in" && port.required ? <span className="required"> *</span> : null}
        {port.multiple ? <span className="faint"> (many)</span> : null}
      </span>
      {side === "out" ? <span className="port-dot" style={{ background: color }} /> : null}
    </div>
  );
}

function Ports(props: { id: string; definition: AnyNodeDefinition; readOnly: boolean }) {
  const { id, definition, readOnly } = props;
  if (definition.inputs.length + definition.outputs.length === 0) return null;
  return (
    <div className="node-ports">
      <div className="node-ports-side">
        {definition.inputs.map((port) => (
          <PortRow key={port.name} nodeId={id} port={port} side="in" readOnly={readOnly} />
        ))}
      </div>
      <div className="node-ports-side">
        {definition.outputs.map((port) => (
          <PortRow key={port.name} nodeId={id} port={port} side="out" readOnly={readOnly} />
        ))}
      </div>
    </div>
  );
}

function UnknownCard({ node, issues }: { node: GraphNode; issues: readonly GraphIssue[] }) {
  return (
    <div className="node-card has-errors" data-testid={`canvas.node.${node.id}`}>
      <div className="node-head">
        <span className="node-title">{node.label ?? node.type}</span>
      </div>
      <div className="node-help">This node type ("{node.type}") is not known to this version of the app.</div>
      <IssueList nodeId={node.id} issues={issues} />
    </div>
  );
}

function IssueList({ nodeId, issues }: { nodeId: string; issues: readonly GraphIssue[] }) {
  if (issues.length === 0) return null;
  return (
    <ul className="node-issues" data-testid={`node.${nodeId}.issues`}>
      {issues.map((issue) => (
        <li
          key={`${issue.code}:${issue.port ?? ""}:${issue.param ?? ""}:${issue.message}`}
          className={issue.severity}
        >
          {issue.message}
        </li>
      ))}
    </ul>
  );
}

function Title(props: { node: GraphNode; definition: AnyNodeDefinition; readOnly: boolean }) {
  const store = useContext(EditorStoreContext);
  const [editing, setEditing] = useState(false);
  const title = props.node.label ?? props.definition.title;
  if (editing && store && !props.readOnly) {
    return (
      <input
        className="input node-title-input nodrag"
        data-testid={`node.${props.node.id}.rename`}
        defaultValue={title}
        // biome-ignore lint/a11y/noAutofocus: the user just asked to rename this node
        autoFocus
        onBlur={(event) => {
          store.renameNode(
            props.node.id,
            event.target.value === props.definition.title ? "" : event.target.value,
          );
          setEditing(false);
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter") event.currentTarget.blur();
          if (event.key === "Escape") setEditing(false);
        }}
      />
    );
  }
  return (
    <span
      className="node-title"
      data-testid={`node.${props.node.id}.title`}
      title="Double-click to rename"
      onDoubleClick={() => setEditing(true)}
    >
      {title}
    </span>
  );
}

function NodeCardImpl({ data, id }: NodeProps<CardNode>) {
  const { node } = data;
  const issues = data.issues ?? NO_ISSUES;
  const store = useContext(EditorStoreContext);
  const readOnly = useContext(ReadOnlyContext) || store === null;
  // Comments belong to the opened workflow's editor, not to read-only previews of other versions.
  const commentable = !useContext(ReadOnlyContext) && store !== null;
  const modelOptions = useContext(ModelOptionsContext);
  const [showHelp, setShowHelp] = useState(false);
  const [showAdvanced, setShowAdvanced] = useState(false);
  const compact = useStore(isZoomedOut);
  const definition = getNodeDefinition(node.type);
  const fields = useMemo(() => (definition ? describeParams(definition) : []), [definition]);

  const onChange = useCallback(
    (param: string, value: unknown) => {
      if (!readOnly) store?.updateParam(id, param, value);
    },
    [store, id, readOnly],
  );
  const onCommit = useCallback(() => store?.sealHistory(), [store]);

  if (!definition) return <UnknownCard node={node} issues={issues} />;

  const paramErrors = new Map<string, string>();
  // Warnings (e.g. prompt words the model never saw) stay in the card's issue list: the value is valid.
  for (const issue of issues) {
    if (issue.severity === "error" && issue.param !== undefined && !paramErrors.has(issue.param))
      paramErrors.set(issue.param, issue.message);
  }
  const visible = fields.filter((field) => isParamVisible(field, node.params));
  const basic = visible.filter((field) => !field.advanced);
  const advanced = visible.filter((field) => field.advanced);
  // An advanced field with an error opens its section: the user must see what to fix.
  const advancedOpen = showAdvanced || advanced.some((field) => paramErrors.has(field.name));
  const errorCount = issues.filter((issue) => issue.severity === "error").length;

  if (compact) {
    return (
      <div
        className={`node-card compact${errorCount > 0 ? " has-errors" : ""}`}
        data-testid={`canvas.node.${id}`}
        data-node-type={node.type}
        style={{ ["--cat" as string]: definition.color ?? categoryColor(definition.category) }}
      >
        <div className="node-head">
          <span className="node-title">{node.label ?? definition.title}</span>
        </div>
        <Ports id={id} definition={definition} readOnly={readOnly} />
        {errorCount > 0 ? (
          <div className="node-compact-issues">
            {errorCount === 1 ? "1 problem" : `${errorCount} problems`}
          </div>
        ) : null}
      </div>
    );
  }

  const renderField = (field: (typeof fields)[number]) => (
    <Fragment key={field.name}>
      <ParamField
        nodeId={id}
        field={field}
        value={node.params[field.name]}
        error={paramErrors.get(field.name)}
        readOnly={readOnly}
        modelOptions={modelOptions}
        imageSizeRule={field.widget === "imageSize" ? imageSizeRuleOf(modelOptions, node.params) : undefined}
        onChange={onChange}
        onCommit={onCommit}
      />
      {commentable ? <ParamCommentMarker nodeId={id} paramKey={field.name} label={field.label} /> : null}
    </Fragment>
  );

  return (
    <div
      className={`node-card${errorCount > 0 ? " has-errors" : ""}`}
      data-testid={`canvas.node.${id}`}
      data-node-type={node.type}
      style={{ ["--cat" as string]: definition.color ?? categoryColor(definition.category) }}
    >
      <div className="node-head">
        <Title node={node} definition={definition} readOnly={readOnly} />
        <span className="node-type">{node.label ? definition.title : definition.category}</span>
        {commentable ? <NodeCommentBadge nodeId={id} /> : null}
        <button
          type="button"
          className="icon-btn nodrag"
          title="What does this node do?"
          aria-label="What does this node do?"
          aria-expanded={showHelp}
          data-testid={`node.${id}.info`}
          onClick={() => setShowHelp((open) => !open)}
        >
          <InfoIcon />
        </button>
      </div>
      {showHelp ? (
        <div className="node-help" data-testid={`node.${id}.help`}>
          {definition.description}
        </div>
      ) : null}
      <Ports id={id} definition={definition} readOnly={readOnly} />
      {visible.length > 0 ? (
        <div className="node-params">
          {basic.map(renderField)}
          {advanced.length > 0 ? (
            <button
              type="button"
              className="advanced-toggle nodrag"
              aria-expanded={advancedOpen}
              data-testid={`node.${id}.advanced`}
              onClick={() => setShowAdvanced((open) => !open)}
            >
              {advancedOpen ? "▾" : "▸"} Advanced ({advanced.length})
            </button>
          ) : null}
          {advancedOpen ? advanced.map(renderField) : null}
        </div>
      ) : null}
      <NodeRunBadge nodeId={id} nodeType={node.type} />
      <IssueList nodeId={id} issues={issues} />
    </div>
  );
}

export const NodeCard = memo(NodeCardImpl);
