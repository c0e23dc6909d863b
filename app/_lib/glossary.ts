import { VERSION_VERBS } from "./version-verbs";

/**
 * Plain-word explanations of the terms the app shows (issue 11: "jargon with no help"). One entry per term;
 * `<Term>` shows the text on hover and keyboard focus, and /glossary lists them all. Facts match METHOD.md.
 */

export interface GlossaryEntry {
  /** Stable id used by `<Term id=…>` and as the anchor on /glossary. */
  readonly id: string;
  /** The words people see in the app. */
  readonly term: string;
  /** Other spellings shown in the app (symbols, older names). */
  readonly aliases: readonly string[];
  /** One to three short sentences, no formulas. */
  readonly text: string;
}

export const GLOSSARY: readonly GlossaryEntry[] = [
  {
    id: "score",
    term: "Score",
    aliases: ["objective"],
    text:
      "The number the optimizer pushes up: the rewards, each times its weight, minus any guard penalties. " +
      "Runs show what it gained since the first picture, so it starts at 0 and rises as the picture gets " +
      "better; the best picture has the highest.",
  },
  {
    id: "reward",
    term: "Reward",
    aliases: [],
    text:
      "How well a picture does on what you asked for: brightness, a shape's or colour's probability, a JPEG " +
      "size, or a scorer you uploaded. The optimizer changes the noise so that it rises. A JPEG size is " +
      "shown as the share saved since the first picture (“14 % smaller JPEG size than at the start”).",
  },
  {
    id: "guard",
    term: "Guard",
    aliases: [],
    text:
      "A check against reward hacking — a picture that scores well without looking right. A guard pulls the " +
      "noise back, adds a penalty, keeps what the prompt asked for, or stops the run.",
  },
  {
    id: "fired",
    term: "Fired",
    aliases: ["red dots"],
    text:
      "A guard fired when it changed that iteration's update by at least 5 % of what the rewards asked for " +
      "or stopped the run (the reward-hacking meter fires from its percentile). A guard that only measured " +
      "did not fire. The run page says how much each guard changed.",
  },
  {
    id: "pr",
    term: "PR (reward-hacking meter)",
    aliases: ["PR", "probability regularization", "meter"],
    text:
      "How unusual the optimized noise has become compared with fresh random noise of the same size, as a " +
      "percentile. Below 90: typical. 90–99: drifting. 99 and above: likely reward hacking.",
  },
  {
    id: "gamma",
    term: "Strength (γ)",
    aliases: ["γ", "gamma"],
    text:
      "How hard probability regularization pulls the noise back toward typical random noise. Higher keeps " +
      "pictures faithful to the prompt; lower lets the reward rise faster.",
  },
  {
    id: "grad-norm",
    term: "Gradient size (‖g‖)",
    aliases: ["‖g‖", "gradient norm"],
    text:
      "How strongly the score would change if the noise moved. Large values mean big steps; near zero means " +
      "there is little left to gain from this starting point.",
  },
  {
    id: "eta",
    term: "Eta (η)",
    aliases: ["η", "eta"],
    text:
      "How much fresh randomness the sampler adds at each of its steps. 0 is fully deterministic; 1 adds as " +
      "much as the original diffusion sampler. DNO optimizes that added noise too.",
  },
  {
    id: "keeper",
    term: "Keeper reward",
    aliases: ["keeper", "keeper floor"],
    text:
      "A second reward that protects what the prompt asked for (say, the prompt's colour and shape): while " +
      "the main reward rises, the keeper must stay above its floor.",
  },
  {
    id: "best-iterate",
    term: "Keep the best picture",
    aliases: ["best-iterate", "keep best"],
    text:
      "The run's result is the best-scoring picture seen along the way, not simply the last one, so a late " +
      "bad step cannot spoil it.",
  },
  {
    id: "iteration",
    term: "Iteration",
    aliases: [],
    text: "One optimizer step: make the picture from the current noise, score it, and nudge the noise.",
  },
  {
    id: "noise",
    term: "Noise",
    aliases: ["seed"],
    text:
      "The random starting point the sampler turns into a picture; the seed picks which one. DNO changes " +
      "this noise, never the model.",
  },
  {
    id: "learning-rate",
    term: "Step size (learning rate)",
    aliases: ["learning rate", "lr"],
    text: "How far each iteration moves the noise. Too large overshoots; too small needs many iterations.",
  },
  {
    id: "version",
    term: "Version",
    aliases: ["Saved to run"],
    text:
      "Every save makes a numbered version; none is ever overwritten. Run saves unsaved changes first, as a " +
      "version called “Saved to run”, because a run always uses a saved version.",
  },
  // The verbs of the versions panel, worded once in version-verbs.ts.
  {
    id: "view-version",
    term: `${VERSION_VERBS.view.label} (a version)`,
    aliases: [],
    text: VERSION_VERBS.view.help,
  },
  {
    id: "copy-to-canvas",
    term: VERSION_VERBS.copyToCanvas.label,
    aliases: [],
    text: VERSION_VERBS.copyToCanvas.help,
  },
  {
    id: "restore-version",
    term: `${VERSION_VERBS.restore.label} (a version)`,
    aliases: [],
    text: VERSION_VERBS.restore.help,
  },
  {
    id: "review-version",
    term: `${VERSION_VERBS.review.label} (a version)`,
    aliases: [],
    text: VERSION_VERBS.review.help,
  },
];

const BY_ID = new Map(GLOSSARY.map((entry) => [entry.id, entry]));
const BY_WORD = new Map(
  GLOSSARY.flatMap((entry) =>
    [entry.term, entry.id, ...entry.aliases].map((word) => [word.toLowerCase(), entry]),
  ),
);

export type GlossaryId = (typeof GLOSSARY)[number]["id"];

export function glossaryEntry(id: string): GlossaryEntry | undefined {
  return BY_ID.get(id);
}

/** The entry a shown word stands for ("objective", "γ", "PR"…), case-insensitive. */
export function glossaryEntryFor(word: string): GlossaryEntry | undefined {
  return BY_WORD.get(word.trim().toLowerCase());
}
