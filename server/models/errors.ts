/**
 * Problems found in a model folder. The loader collects every problem in one report (not just the first), so
 * a user pointing the app at an export sees at once everything that must be fixed.
 */

export type ModelProblemCode =
  | "folder-missing"
  | "file-missing"
  | "bad-json"
  | "bad-config"
  | "corrupt-onnx"
  | "input-missing"
  | "input-unexpected"
  | "input-type"
  | "input-shape"
  | "output-shape"
  | "incompatible"
  | "unsupported-scheduler"
  | "unsupported-option"
  | "tokenizer";

export interface ModelFolderProblem {
  readonly code: ModelProblemCode;
  /** "error" makes the folder unusable; a "warning" is reported and worked around. */
  readonly severity: "error" | "warning";
  /** Path inside the model folder the problem is about, e.g. "unet/model.onnx". */
  readonly file: string;
  readonly message: string;
}

export function formatProblems(problems: readonly ModelFolderProblem[]): string {
  return problems
    .map((problem) => `  - [${problem.severity}] ${problem.file}: ${problem.message}`)
    .join("\n");
}

export class ModelFolderError extends Error {
  readonly code = "MODEL_FOLDER_INVALID";
  readonly dir: string;
  readonly problems: readonly ModelFolderProblem[];
  constructor(dir: string, problems: readonly ModelFolderProblem[]) {
    const errors = problems.filter((problem) => problem.severity === "error");
    super(
      // The folder's name only: the message reaches users, the absolute path stays on `dir` for the log.
      `Model folder “${dir.split(/[\\/]/).filter(Boolean).pop() ?? "?"}” cannot be used (${errors.length} problem${errors.length === 1 ? "" : "s"}); ` +
        `it must follow the diffusers ONNX layout (model_index.json, tokenizer/tokenizer.json, ` +
        `text_encoder/model.onnx, unet/model.onnx, vae_decoder/model.onnx, scheduler/scheduler_config.json):\n` +
        formatProblems(problems),
    );
    this.name = "ModelFolderError";
    this.dir = dir;
    this.problems = problems;
  }
}
