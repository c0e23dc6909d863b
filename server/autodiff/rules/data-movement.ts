import { DataType } from "../ir";
import { positionsLike, scatterToPositions } from "./index-helpers";
import type { VjpRule } from "./types";

/**
 * Ops that only copy elements of x (possibly several times): Tile, DepthToSpace, SpaceToDepth,
 * GatherND. Apply the op to the positions of x and scatter-add dy back.
 */
export const dataMovement: VjpRule = {
  differentiable: [0],
  backward(g, n, [dy]) {
    const x = n.input(0);
    // onnxruntime's DepthToSpace/SpaceToDepth take no integer tensors: move the positions as
    // float (exact below 2^24 elements) and convert back.
    const floatOnly = n.node.opType === "DepthToSpace" || n.node.opType === "SpaceToDepth";
    const positions = floatOnly ? g.cast(positionsLike(g, x), DataType.FLOAT) : positionsLike(g, x);
    const moved = g.op1(n.node.opType, [positions, ...n.node.inputs.slice(1)], n.node.attributes);
    const picked = floatOnly ? g.cast(moved, DataType.INT64) : moved;
    const duplicates = n.node.opType === "Tile" || n.node.opType === "GatherND";
    return [scatterToPositions(g, x, picked, dy!, duplicates, n.node.opType, n.node.name)];
  },
};
