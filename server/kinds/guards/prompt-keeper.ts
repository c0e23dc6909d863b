import { PromptKeeperGuard } from "@/server/dno/guards/prompt-keeper";
import { parsePromptAttributes } from "@/server/dno/rewards/prompt-attributes";
import { ExecutorError } from "@/server/executor/errors";
import { defineGuardImplementation } from "../types";

/** What the keeper keeps: the shape and the colours (the object's and the background's), not count or size. */
const KEPT_ROLES = new Set(["shape", "color", "background"]);

export const promptKeeperGuard = defineGuardImplementation("prompt-keeper", {
  attachTo: "image",
  async createImageGuard({ planned, promptText, classifier }) {
    const model = await classifier();
    const heads = model.heads;
    const attributes = parsePromptAttributes(promptText).attributes.filter(
      (attribute) => KEPT_ROLES.has(attribute.role) && heads[attribute.head]?.includes(attribute.label),
    );
    if (attributes.length === 0) {
      const known = ["shape", "color"]
        .map((role) => heads[role]?.join(", "))
        .filter((labels) => labels !== undefined)
        .join("; ");
      throw new ExecutorError(
        "PLAN_REFUSED",
        `${planned.displayName}: the prompt “${promptText}” names no shape or colour the model's image checker knows (${known}). Write the prompt like “a red circle on a blue background”, or pick another guard.`,
        { nodeId: planned.id },
      );
    }
    return new PromptKeeperGuard({
      classifier: model,
      attributes,
      floor: planned.params.keepFloor,
      weight: planned.params.keepStrength,
    });
  },
});
