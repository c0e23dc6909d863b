// `npm run dev`: Next's dev server, listening where `npm start` does (127.0.0.1 unless HOST says otherwise).
import { listenAddress, run, step } from "./lib.mjs";

const listen = listenAddress();
step(`Starting the dev server on ${listen.url}${listen.note}`);
process.exit(run("npx", ["next", "dev", ...listen.args], { allowFailure: true }));
