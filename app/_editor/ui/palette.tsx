"use client";
/** The node palette: derived from the registry (no second list of node types); click or drag to add. */
import { useMemo, useState } from "react";
import { listNodeDefinitions } from "@/nodes/registry";
import { NODE_CATEGORIES } from "@/nodes/types";
import { PALETTE_DRAG_TYPE } from "./canvas";
import { categoryColor } from "./category-colors";

export function Palette(props: { readonly onAdd: (type: string) => void; readonly disabled?: boolean }) {
  const [query, setQuery] = useState("");
  const definitions = listNodeDefinitions();
  const groups = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const matches = definitions.filter(
      (definition) =>
        needle === "" ||
        definition.title.toLowerCase().includes(needle) ||
        definition.type.toLowerCase().includes(needle) ||
        definition.category.toLowerCase().includes(needle) ||
        definition.description.toLowerCase().includes(needle),
    );
    return NODE_CATEGORIES.map((category) => ({
      category,
      items: matches.filter((definition) => definition.category === category),
    })).filter((group) => group.items.length > 0);
  }, [definitions, query]);

  return (
    <aside className="side-panel" data-testid="palette">
      <div className="panel-header">Nodes</div>
      <div className="palette-search">
        <input
          className="input"
          type="search"
          placeholder="Search nodes…"
          aria-label="Search nodes"
          data-testid="palette.search"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
      </div>
      <div className="panel-body">
        {groups.length === 0 ? <div className="palette-empty">No node matches "{query}".</div> : null}
        {groups.map((group) => (
          <div key={group.category}>
            <div className="palette-category">{group.category}</div>
            {group.items.map((definition) => (
              <button
                key={definition.type}
                type="button"
                className="palette-item"
                draggable={!props.disabled}
                disabled={props.disabled}
                data-testid={`palette.node.${definition.type}`}
                title={definition.description}
                style={{ ["--cat" as string]: definition.color ?? categoryColor(definition.category) }}
                onClick={() => props.onAdd(definition.type)}
                onDragStart={(event) => {
                  event.dataTransfer.setData(PALETTE_DRAG_TYPE, definition.type);
                  event.dataTransfer.effectAllowed = "copy";
                }}
              >
                <div>
                  <div className="palette-item-title">{definition.title}</div>
                  <div className="palette-item-help">{definition.description}</div>
                </div>
              </button>
            ))}
          </div>
        ))}
      </div>
    </aside>
  );
}
