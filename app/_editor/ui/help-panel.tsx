"use client";
/** The keyboard shortcuts, listed once: the help dialog renders this table. */
import { Dialog } from "@/app/_components/dialog";

export const SHORTCUTS: readonly { keys: string[]; action: string }[] = [
  { keys: ["Ctrl/⌘", "S"], action: "Save a new version (asks for a message)" },
  { keys: ["Ctrl/⌘", "Z"], action: "Undo" },
  { keys: ["Ctrl/⌘", "Shift", "Z"], action: "Redo" },
  { keys: ["Ctrl/⌘", "Y"], action: "Redo" },
  { keys: ["Ctrl/⌘", "C"], action: "Copy the selected nodes" },
  { keys: ["Ctrl/⌘", "V"], action: "Paste (connections between copied nodes are kept)" },
  { keys: ["Ctrl/⌘", "A"], action: "Select everything" },
  { keys: ["Delete"], action: "Delete the selection (Backspace works too)" },
  { keys: ["Shift", "click"], action: "Add a node to the selection" },
  { keys: ["Shift", "drag"], action: "Select with a box" },
  { keys: ["F"], action: "Fit the whole graph in view" },
  { keys: ["Esc"], action: "Clear the selection, close a dialog" },
  { keys: ["?"], action: "Show this help" },
];

export function HelpDialog(props: { readonly onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={props.onClose} testId="help-dialog">
      <table className="shortcut-table">
        <tbody>
          {SHORTCUTS.map((shortcut) => (
            <tr key={`${shortcut.keys.join("+")}-${shortcut.action}`}>
              <td style={{ whiteSpace: "nowrap" }}>
                {shortcut.keys.map((key, index) => (
                  <span key={key}>
                    {index > 0 ? " + " : ""}
                    <span className="kbd">{key}</span>
                  </span>
                ))}
              </td>
              <td>{shortcut.action}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        Drag from an output (right side of a card) to an input (left side) to connect two nodes. Port colours
        show what travels along a connection; only matching colours connect. Double-click a node's title to
        rename it.
      </p>
      <p className="muted">
        Words like score, PR, γ or keeper reward are explained when you hover them, and all together in the{" "}
        <a href="/glossary" target="_blank" rel="noreferrer">
          glossary
        </a>
        .
      </p>
      <div className="dialog-buttons">
        <button
          type="button"
          className="btn btn-primary"
          onClick={props.onClose}
          data-testid="help-dialog.close"
        >
          Close
        </button>
      </div>
    </Dialog>
  );
}
