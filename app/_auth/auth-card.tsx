/** The frame of the account pages (setup, sign-in, sign-up, reset): the app header and one centred card. */
import type { ReactNode } from "react";
import { AppHeader } from "../_components/app-header";
import "./auth.css";

export function AuthCard(props: {
  readonly title: string;
  readonly children: ReactNode;
  readonly wide?: boolean;
}) {
  return (
    <>
      <AppHeader nav={false} account={false} />
      <main className={props.wide ? "auth-page auth-page-wide" : "auth-page"}>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </>
  );
}

/** A labelled input: the label names the field for people and for tests (getByLabel). */
export function Field(props: {
  readonly label: string;
  readonly name: string;
  readonly type?: string;
  readonly autoComplete?: string;
  readonly defaultValue?: string;
  readonly readOnly?: boolean;
  readonly hint?: string;
  readonly minLength?: number;
}) {
  const id = `field-${props.name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        className="input"
        type={props.type ?? "text"}
        autoComplete={props.autoComplete}
        defaultValue={props.defaultValue}
        readOnly={props.readOnly}
        minLength={props.minLength}
        required
      />
      {props.hint ? <p className="faint field-hint">{props.hint}</p> : null}
    </div>
  );
}
