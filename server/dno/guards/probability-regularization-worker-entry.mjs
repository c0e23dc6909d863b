// Entry of the PR pool's worker threads: registers tsx's TypeScript loader in this thread (Node 20
// workers do not inherit the parent's --import hooks), then loads the TypeScript worker module.
import { register } from "tsx/esm/api";

register();
await import("./probability-regularization-worker.ts");
