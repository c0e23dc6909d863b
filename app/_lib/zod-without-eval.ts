/**
 * The pages' Content-Security-Policy (next.config.js) allows no eval. Zod 4 probes for eval with
 * `new Function("")` before its first object parse to pick a faster compiled parser; under the CSP the probe
 * fails (harmlessly) but the browser reports a CSP violation. Telling zod up front not to try keeps the
 * console clean; parsing is the same interpreted path the CSP leaves it anyway.
 */
import { z } from "zod";

z.config({ jitless: true });
