"use client";
/**
 * One form field per parameter, chosen by the widget hint of the node's zod schema (via describeParams).
 * Fields are controlled by the store's value; number-like fields keep a local draft so a half-typed
 * number ("0.") is not rejected mid-keystroke.
 */
import { memo, useEffect, useId, useState } from "react";
import type { ParamFieldDescriptor } from "@/nodes/describe-params";
import { type ImageSizeRule, imageSizeChoices } from "@/nodes/image-size";
import { DiceIcon } from "@/app/_components/icons";
import { AssetFileField } from "./asset-file-field";
import { ModelCard } from "./model-card";
import type { ModelOption } from "./node-card";

export interface ParamFieldProps {
  readonly nodeId: string;
  readonly field: ParamFieldDescriptor;
  readonly value: unknown;
  readonly error?: string;
  readonly readOnly: boolean;
  readonly modelOptions: readonly ModelOption[] | null;
  /** The "imageSize" widget's model's rule (the node's model in the server's list); undefined while unknown. */
  readonly imageSizeRule?: ImageSizeRule;
  readonly onChange: (param: string, value: unknown) => void;
  readonly onCommit: () => void;
  /** Test ids are `<prefix>.<node>.<param>`: "param" on the canvas, "review" in the run page's review table. */
  readonly testIdPrefix?: string;
}

function asNumber(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(6)).toString();
}

function randomSeed(max: number): number {
  // Seeds are user-facing identifiers, not secrets: Math.random is fine here.
  return Math.floor(Math.random() * Math.min(max, 2 ** 31 - 1));
}

/** Text input holding a draft while the user types; sends only parsed values upward. */
function DraftInput(props: {
  id: string;
  testId: string;
  value: string;
  parse: (text: string) => { ok: true; value: unknown } | { ok: false };
  onValue: (value: unknown) => void;
  onCommit: () => void;
  readOnly: boolean;
  invalid: boolean;
  placeholder?: string;
  inputMode?: "numeric" | "decimal" | "text";
}) {
  const { value, parse, onValue } = props;
  const [draft, setDraft] = useState(value);
  const [bad, setBad] = useState(false);
  useEffect(() => {
    setDraft(value);
    setBad(false);
  }, [value]);
  return (
    <input
      id={props.id}
      className="input nodrag"
      data-testid={props.testId}
      value={draft}
      inputMode={props.inputMode}
      placeholder={props.placeholder}
      readOnly={props.readOnly}
      aria-invalid={props.invalid || bad}
      onChange={(event) => {
        const text = event.target.value;
        setDraft(text);
        const parsed = parse(text);
        setBad(!parsed.ok);
        if (parsed.ok) onValue(parsed.value);
      }}
      onBlur={() => {
        props.onCommit();
        if (bad) {
          setDraft(value);
          setBad(false);
        }
      }}
    />
  );
}

function parseNumber(integer: boolean) {
  return (text: string): { ok: true; value: unknown } | { ok: false } => {
    const trimmed = text.trim();
    if (trimmed === "" || trimmed === "-" || trimmed.endsWith(".")) return { ok: false };
    const value = Number(trimmed);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) return { ok: false };
    return { ok: true, value };
  };
}

function parseNumberList(integer: boolean) {
  return (text: string): { ok: true; value: unknown } | { ok: false } => {
    const parts = text
      .split(/[\s,;]+/)
      .map((part) => part.trim())
      .filter((part) => part !== "");
    const values = parts.map(Number);
    if (values.some((value) => !Number.isFinite(value) || (integer && !Number.isInteger(value)))) {
      return { ok: false };
    }
    return { ok: true, value: values };
  };
}

/** The editor's one dropdown: a choice commits at once (a select has no draft state to blur out of). */
function ChoiceSelect(props: {
  id: string;
  testId: string;
  value: string;
  options: readonly { value: string; label: string }[];
  title?: string | undefined;
  disabled: boolean;
  invalid: boolean;
  onChoose: (value: string) => void;
}) {
  return (
    <select
      id={props.id}
      className="select nodrag"
      data-testid={props.testId}
      value={props.value}
      title={props.title}
      disabled={props.disabled}
      aria-invalid={props.invalid}
      onChange={(event) => props.onChoose(event.target.value)}
    >
      {props.options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  );
}

function ParamFieldImpl(props: ParamFieldProps) {
  const { nodeId, field, value, error, readOnly, onChange, onCommit } = props;
  const inputId = useId();
  const testId = `${props.testIdPrefix ?? "param"}.${nodeId}.${field.name}`;
  const invalid = error !== undefined;
  const integer = field.valueKind === "integer" || field.item?.valueKind === "integer";
  const itemLabels = field.items?.map((item, index) => item.label ?? `#${index + 1}`);
  const set = (next: unknown) => onChange(field.name, next);

  const label = (
    <label className="param-label" htmlFor={inputId} title={field.help}>
      <span>
        {field.label}
        {field.unit ? <span className="faint"> ({field.unit})</span> : null}
      </span>
      {field.widget === "slider" ? <span className="value">{formatNumber(asNumber(value, 0))}</span> : null}
    </label>
  );
  const footer = error ? <div className="param-error">{error}</div> : null;

  switch (field.widget) {
    case "slider": {
      const min = field.min ?? 0;
      const max = field.max ?? 1;
      const numeric = asNumber(value, min);
      const log = field.scale === "log" && min > 0;
      const toSlider = (v: number) => (log ? Math.log10(v) : v);
      const fromSlider = (s: number) => {
        const raw = log ? 10 ** s : s;
        if (integer) return Math.round(raw);
        return log ? Number(raw.toPrecision(3)) : raw;
      };
      return (
        <div className="param">
          {label}
          <div className="param-row">
            <input
              type="range"
              className="nodrag"
              aria-label={field.label}
              data-testid={`${testId}.slider`}
              min={toSlider(min)}
              max={toSlider(max)}
              step={log ? 0.01 : (field.step ?? (integer ? 1 : (max - min) / 100))}
              value={toSlider(Math.min(Math.max(numeric, min), max))}
              disabled={readOnly}
              onChange={(event) => set(fromSlider(Number(event.target.value)))}
              onPointerUp={onCommit}
              onKeyUp={onCommit}
            />
            <div style={{ width: 78 }}>
              <DraftInput
                id={inputId}
                testId={testId}
                value={formatNumber(numeric)}
                parse={parseNumber(integer)}
                onValue={set}
                onCommit={onCommit}
                readOnly={readOnly}
                invalid={invalid}
                inputMode="decimal"
              />
            </div>
          </div>
          {footer}
        </div>
      );
    }
    case "number":
      return (
        <div className="param">
          {label}
          <DraftInput
            id={inputId}
            testId={testId}
            value={formatNumber(asNumber(value, field.min ?? 0))}
            parse={parseNumber(integer)}
            onValue={set}
            onCommit={onCommit}
            readOnly={readOnly}
            invalid={invalid}
            inputMode="decimal"
          />
          {footer}
        </div>
      );
    case "seed":
      return (
        <div className="param">
          {label}
          <div className="param-row">
            <DraftInput
              id={inputId}
              testId={testId}
              value={String(asNumber(value, 0))}
              parse={parseNumber(true)}
              onValue={set}
              onCommit={onCommit}
              readOnly={readOnly}
              invalid={invalid}
              inputMode="numeric"
            />
            <button
              type="button"
              className="btn btn-small nodrag"
              title="Pick a random seed"
              aria-label="Pick a random seed"
              data-testid={`${testId}.dice`}
              disabled={readOnly}
              onClick={() => {
                set(randomSeed(field.max ?? 2 ** 31 - 1));
                onCommit();
              }}
            >
              <DiceIcon />
            </button>
          </div>
          {footer}
        </div>
      );
    case "seedList":
    case "numberList": {
      const list = Array.isArray(value) ? value : [];
      const listOfIntegers = field.widget === "seedList" || integer;
      return (
        <div className="param">
          {label}
          <div className="param-row">
            <DraftInput
              id={inputId}
              testId={testId}
              value={list.join(", ")}
              parse={parseNumberList(listOfIntegers)}
              onValue={set}
              onCommit={onCommit}
              readOnly={readOnly}
              invalid={invalid}
              placeholder={itemLabels ? itemLabels.join(", ") : "e.g. 1, 2, 3"}
            />
            {field.widget === "seedList" ? (
              <button
                type="button"
                className="btn btn-small nodrag"
                title="Add a random seed"
                aria-label="Add a random seed"
                data-testid={`${testId}.dice`}
                disabled={readOnly}
                onClick={() => {
                  set([...list, randomSeed(2 ** 31 - 1)]);
                  onCommit();
                }}
              >
                <DiceIcon />+
              </button>
            ) : null}
          </div>
          <div className="param-note">Separate values with commas.</div>
          {footer}
        </div>
      );
    }
    case "textarea":
      return (
        <div className="param">
          {label}
          <textarea
            id={inputId}
            className="textarea nodrag nowheel"
            data-testid={testId}
            value={typeof value === "string" ? value : ""}
            placeholder={field.placeholder}
            readOnly={readOnly}
            aria-invalid={invalid}
            rows={3}
            onChange={(event) => set(event.target.value)}
            onBlur={onCommit}
          />
          {footer}
        </div>
      );
    case "select":
      return (
        <div className="param">
          {label}
          <ChoiceSelect
            id={inputId}
            testId={testId}
            value={String(value ?? "")}
            options={field.options ?? []}
            // A narrow select cuts a long choice: the whole label on hover.
            title={field.options?.find((option) => option.value === value)?.label}
            disabled={readOnly}
            invalid={invalid}
            onChoose={(chosen) => {
              set(chosen);
              onCommit();
            }}
          />
          {footer}
        </div>
      );
    case "model": {
      const current = typeof value === "string" ? value : "";
      const options = props.modelOptions ?? [];
      const withCurrent = options.some((option) => option.value === current)
        ? options
        : [{ value: current, label: current || "(none)" }, ...options];
      return (
        <div className="param">
          {label}
          <ChoiceSelect
            id={inputId}
            testId={testId}
            value={current}
            options={withCurrent}
            disabled={readOnly}
            invalid={invalid}
            onChoose={(chosen) => {
              set(chosen);
              onCommit();
            }}
          />
          {footer}
          <ModelCard option={options.find((option) => option.value === current)} testId={testId} />
        </div>
      );
    }
    case "imageSize": {
      // Only the sizes the node's model allows (nodes/image-size.ts); values travel as numbers.
      const current = asNumber(value, 0);
      const choices = imageSizeChoices(props.imageSizeRule, current);
      return (
        <div className="param">
          {label}
          <ChoiceSelect
            id={inputId}
            testId={testId}
            value={String(current)}
            options={choices.map((choice) => ({ value: String(choice.value), label: choice.label }))}
            title={field.help}
            disabled={readOnly}
            invalid={invalid}
            onChoose={(chosen) => {
              set(Number(chosen));
              onCommit();
            }}
          />
          {footer}
        </div>
      );
    }
    case "checkbox":
      return (
        <div className="param">
          <label className="param-label param-checkbox" title={field.help}>
            <input
              type="checkbox"
              className="nodrag"
              data-testid={testId}
              checked={value === true}
              disabled={readOnly}
              onChange={(event) => {
                set(event.target.checked);
                onCommit();
              }}
            />
            {field.label}
          </label>
          {footer}
        </div>
      );
    case "file":
      return (
        <div className="param">
          {label}
          <AssetFileField
            inputId={inputId}
            testId={testId}
            value={typeof value === "string" ? value : ""}
            accept={field.accept}
            readOnly={readOnly}
            invalid={invalid}
            onPick={(assetId) => {
              set(assetId);
              onCommit();
            }}
          />
          {footer}
        </div>
      );
    default:
      return (
        <div className="param">
          {label}
          <input
            id={inputId}
            className="input nodrag"
            data-testid={testId}
            value={typeof value === "string" ? value : String(value ?? "")}
            placeholder={field.placeholder}
            readOnly={readOnly}
            aria-invalid={invalid}
            onChange={(event) => set(event.target.value)}
            onBlur={onCommit}
          />
          {footer}
        </div>
      );
  }
}

export const ParamField = memo(ParamFieldImpl);
