// `npm run bench -- NAME` runs one benchmark (`npm run bench:NAME`); without a name it lists them.
// Each benchmark prints its numbers and ends with one JSON line (see the README's table).
import { readJson, run } from "./lib.mjs";

const benches = Object.keys(readJson("package.json").scripts)
  .filter((name) => name.startsWith("bench:"))
  .map((name) => name.slice("bench:".length));
const [name, ...rest] = process.argv.slice(2);
if (!name || !benches.includes(name)) {
  if (name) console.error(`✖ Unknown benchmark "${name}".`);
  console.log(`Benchmarks: ${benches.join(", ")}\nRun one with: npm run bench -- <name>`);
  process.exit(name ? 1 : 0);
}
process.exit(run("npm", ["run", `bench:${name}`, "--", ...rest], { allowFailure: true }));
