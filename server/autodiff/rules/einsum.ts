import { UnsupportedOpFormError } from "../errors";
import type { Emitter } from "../emitter";
import { attr, attrString } from "../ir";
import type { NodeView, VjpRule } from "./types";

interface ParsedEinsum {
  inputs: string[];
  output: string;
}

/** Parse an equation, expanding "..." into capital letters by operand rank (right-aligned). */
export function parseEinsum(equation: string, ranks: Array<number | undefined>, n: NodeView): ParsedEinsum {
  const eq = equation.replace(/\s/g, "");
  const [lhs, rhs] = eq.split("->") as [string, string | undefined];
  const terms = lhs.split(",");
  let ellipsisRank = 0;
  const expanded = terms.map((term, i) => {
    if (!term.includes("...")) return term;
    const rank = ranks[i];
    if (rank === undefined)
      throw new UnsupportedOpFormError("Einsum", n.node.name, "'...' with unknown operand rank");
    const count = rank - term.replace("...", "").length;
    ellipsisRank = Math.max(ellipsisRank, count);
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".slice(26 - count);
    return term.replace("...", letters);
  });
  const ellipsisLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".slice(26 - ellipsisRank);
  let output: string;
  if (rhs !== undefined) output = rhs.replace("...", ellipsisLetters);
  else {
    // Implicit output: the ellipsis, then letters that appear exactly once, in alphabetical order.
    const counts = new Map<string, number>();
    for (const l of expanded.join("")) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts.entries()].filter(([l, c]) => c === 1 && l >= "a").map(([l]) => l);
    output = ellipsisLetters + once.sort().join("");
  }
  for (const term of [...expanded, output]) {
    if (new Set(term).size !== term.length) {
      throw new UnsupportedOpFormError("Einsum", n.node.name, `repeated index in '${term}' (diagonals)`);
    }
  }
  return { inputs: expanded, output };
}

function expandMissing(g: Emitter, grad: string, term: string, kept: string, operand: string): string {
  const missing = [...term].map((l, i) => (kept.includes(l) ? -1 : i)).filter((i) => i >= 0);
  if (missing.length === 0) return grad;
  // The result lacks the letters summed only within this operand (kept is in term order):
  // restore them as unit axes and broadcast.
  const restored = g.unsqueeze(grad, missing);
  return g.op1("Expand", [restored, g.shapeOf(operand)]);
}

/** d(operand i) = einsum(dY, other operands → term i). */
export const einsum: VjpRule = {
  differentiable: Array.from({ length: 16 }, (_, i) => i),
  broadcasting: true,
  backward(g, n, [dy]) {
    const operands = n.node.inputs;
    const parsed = parseEinsum(
      attrString(n.node, "equation", ""),
      operands.map((x) => g.rank(x)),
      n,
    );
    return operands.map((operand, i) => {
      if (!n.needsGrad(i)) return null;
      const term = parsed.inputs[i]!;
      const others = operands.filter((_, j) => j !== i);
      const otherTerms = parsed.inputs.filter((_, j) => j !== i);
      const available = new Set([...parsed.output, ...otherTerms.join("")]);
      const kept = [...term].filter((l) => available.has(l)).join("");
      const equation = `${[parsed.output, ...otherTerms].join(",")}->${kept}`;
      const grad = g.op1("Einsum", [dy!, ...others], [attr.string("equation", equation)]);
      return expandMissing(g, grad, term, kept, operand);
    });
  },
};
