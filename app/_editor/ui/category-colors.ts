import type { NodeCategory } from "@/nodes/types";

/** Card accent per palette category (a node's own `color` wins). */
const CATEGORY_COLORS: Readonly<Record<NodeCategory, string>> = {
  Inputs: "#f59e0b",
  Generation: "#10b981",
  Objective: "#ef4444",
  Optimization: "#6d8cff",
};

export function categoryColor(category: NodeCategory): string {
  return CATEGORY_COLORS[category];
}
