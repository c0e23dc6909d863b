/**
 * The authorization table (issue 10): every tRPC procedure and every HTTP route × {anonymous, non-member,
 * viewer, reviewer, editor, owner, admin} with the expected outcome, called through the real router
 * (createCaller with one context per person) on a real SQLite database. The router's procedures are
 * enumerated at run time: a procedure without a row fails the test, and so does a route file under app/api
 * without an entry in ROUTES.
 *
 * Outcomes: "allow" (the call succeeds, or for rows marked `pastAuth` fails only for a reason that is not
 * about access), "sign-in" (UNAUTHORIZED), "hidden" (NOT_FOUND, as for an id that does not exist) and
 * "forbidden" (FORBIDDEN, with a sentence saying which access is needed). Each case gets fresh records, so a
 * delete in one case cannot change another's answer.
 *
 * AUTHZ_TABLE_PRINT=1 prints the observed table (handy when adding rows).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleWorkflows, type GraphDocument } from "@/nodes";
import { handleUpload } from "../assets/handle-upload";
import { AppError } from "../errors";
import { createApiToken } from "../services/accounts/create-api-token";
import { createInvitation } from "../services/accounts/create-invitation";
import { addComment } from "../services/comments/add-comment";
import { ANONYMOUS, type Actor, type ServiceContext, userActor } from "../services/context";
import { createProposal } from "../services/proposals/create-proposal";
import { recordRunStep } from "../services/runs/record-run-step";
import { startRun } from "../services/runs/start-run";
import { createShareLink } from "../services/sharing/create-share-link";
import { createTestDatabase, createTestUser, type TestDatabase } from "../services/test-database";
import { createWorkflow } from "../services/workflows/create-workflow";
import { deleteWorkflow } from "../services/workflows/delete-workflow";
import { saveWorkflow } from "../services/workflows/save-workflow";
import { encodePng } from "../models/image";
import { artifactResponse } from "./artifact-response";
import { healthLiveResponse, healthReadyResponse } from "./health-response";
import { modelSamplesResponse } from "./model-samples-response";
import { appRouter, createCaller } from "./root";

const PEOPLE = ["anonymous", "nonMember", "viewer", "reviewer", "editor", "owner", "admin"] as const;
type Person = (typeof PEOPLE)[number];
type Outcome = "allow" | "sign-in" | "hidden" | "forbidden";
type Expected = Record<Person, Outcome>;
type Caller = ReturnType<typeof createCaller>;

/** Records made fresh for one case; pieces are created on first use. */
interface Fixture {
  workflowId: string;
  headVersionId: string;
  document: GraphDocument;
  /** A second version (version 2), made by the owner. */
  version2(): Promise<string>;
  /** A queued run of the head version, started by the owner. */
  run(): Promise<string>;
  secondRun(): Promise<string>;
  /** An image artifact of run(). */
  artifact(): Promise<string>;
  /** An open proposal by the reviewer. */
  proposal(): Promise<string>;
  /** A comment by the reviewer on the workflow. */
  comment(): Promise<string>;
  /** A share link (viewer) created by the owner. */
  link(): Promise<{ id: string; token: string }>;
  /** Someone else the workflow is shared with as a viewer (the target of changeRole / remove). */
  extraUserId: string;
  /** A scoring-model upload by the owner (used by no workflow). */
  assetId(): Promise<string>;
  /** The workflow moved to the trash by its owner. */
  trash(): Promise<void>;
  /** A personal API token of the owner. */
  ownerApiToken(): Promise<string>;
  /** An invitation made by the admin. */
  invitation(): Promise<string>;
}

interface Row {
  call(caller: Caller, fixture: Fixture, person: Person): Promise<unknown>;
  expected: Expected;
  /** Success needs more than the fixture gives (a finished run…): any refusal not about access counts as allow. */
  pastAuth?: true;
}

/** A workflow action: anonymous signs in, strangers get NOT_FOUND, roles below `smallest` get FORBIDDEN. */
function needs(smallest: "viewer" | "reviewer" | "editor" | "owner"): Expected {
  const order = ["viewer", "reviewer", "editor", "owner"] as const;
  const at = order.indexOf(smallest);
  const role = (person: (typeof order)[number]): Outcome =>
    order.indexOf(person) >= at ? "allow" : "forbidden";
  return {
    anonymous: "sign-in",
    nonMember: "hidden",
    viewer: role("viewer"),
    reviewer: role("reviewer"),
    editor: role("editor"),
    owner: "allow",
    admin: "allow",
  };
}

const SIGNED_IN: Expected = {
  anonymous: "sign-in",
  nonMember: "allow",
  viewer: "allow",
  reviewer: "allow",
  editor: "allow",
  owner: "allow",
  admin: "allow",
};

/** Only one person (the author or uploader) and admins where said; others who can see it are FORBIDDEN. */
function onlyAuthor(author: Person, admin: Outcome, others: Partial<Expected> = {}): Expected {
  return {
    anonymous: "sign-in",
    nonMember: "hidden",
    viewer: "forbidden",
    reviewer: "forbidden",
    editor: "forbidden",
    owner: "forbidden",
    admin,
    [author]: "allow",
    ...others,
  };
}

/** Instance-wide settings and people: the instance's owner and admins (here: admin). */
const ADMINS_ONLY: Expected = {
  anonymous: "sign-in",
  nonMember: "forbidden",
  viewer: "forbidden",
  reviewer: "forbidden",
  editor: "forbidden",
  owner: "forbidden",
  admin: "allow",
};

const PUBLIC: Expected = { ...SIGNED_IN, anonymous: "allow" };

const PROCEDURES: Record<string, Row> = {
  // The signed-in person and instance settings (helper A).
  "account.me": { call: (c) => c.account.me(), expected: PUBLIC },
  "account.listApiTokens": { call: (c) => c.account.listApiTokens(), expected: SIGNED_IN },
  "account.createApiToken": {
    call: (c) => c.account.createApiToken({ name: "script" }),
    expected: SIGNED_IN,
  },
  "account.revokeApiToken": {
    // One's own tokens only: anyone else's token id is not found, admins included.
    call: async (c, f) => c.account.revokeApiToken({ tokenId: await f.ownerApiToken() }),
    expected: onlyAuthor("owner", "hidden", { viewer: "hidden", reviewer: "hidden", editor: "hidden" }),
  },
  "account.listPeople": { call: (c) => c.account.listPeople(), expected: ADMINS_ONLY },
  "account.setAdmin": {
    call: (c, f) => c.account.setAdmin({ userId: f.extraUserId, admin: false }),
    expected: ADMINS_ONLY,
  },
  "account.signupSettings": { call: (c) => c.account.signupSettings(), expected: ADMINS_ONLY },
  "account.setSignupOpen": { call: (c) => c.account.setSignupOpen({ open: true }), expected: ADMINS_ONLY },
  "account.listInvitations": { call: (c) => c.account.listInvitations(), expected: ADMINS_ONLY },
  "account.createInvitation": {
    call: (c) => c.account.createInvitation({ email: "new@authz.test" }),
    expected: ADMINS_ONLY,
  },
  "account.revokeInvitation": {
    call: async (c, f) => c.account.revokeInvitation({ invitationId: await f.invitation() }),
    expected: ADMINS_ONLY,
  },

  // Workflows.
  "workflow.list": { call: (c) => c.workflow.list(), expected: SIGNED_IN },
  "workflow.listDeleted": { call: (c) => c.workflow.listDeleted(), expected: SIGNED_IN },
  "workflow.create": { call: (c) => c.workflow.create({ name: "Mine" }), expected: SIGNED_IN },
  "workflow.import": {
    call: (c, f) =>
      c.workflow.import({
        text: JSON.stringify({
          format: "dno-studio.workflow",
          formatVersion: 1,
          name: "In",
          document: f.document,
        }),
      }),
    expected: SIGNED_IN,
  },
  "workflow.get": { call: (c, f) => c.workflow.get({ workflowId: f.workflowId }), expected: needs("viewer") },
  "workflow.export": {
    call: (c, f) => c.workflow.export({ workflowId: f.workflowId }),
    expected: needs("viewer"),
  },
  "workflow.duplicate": {
    call: (c, f) => c.workflow.duplicate({ workflowId: f.workflowId }),
    expected: needs("viewer"),
  },
  "workflow.activeRuns": {
    call: (c, f) => c.workflow.activeRuns({ workflowId: f.workflowId }),
    expected: needs("viewer"),
  },
  "workflow.save": {
    call: (c, f) =>
      c.workflow.save({ workflowId: f.workflowId, baseVersionId: f.headVersionId, document: f.document }),
    expected: needs("editor"),
  },
  "workflow.rename": {
    call: (c, f) => c.workflow.rename({ workflowId: f.workflowId, name: "Renamed" }),
    expected: needs("editor"),
  },
  "workflow.delete": {
    call: (c, f) => c.workflow.delete({ workflowId: f.workflowId }),
    expected: needs("owner"),
  },
  "workflow.restore": {
    call: async (c, f) => {
      await f.trash();
      return c.workflow.restore({ workflowId: f.workflowId });
    },
    expected: needs("owner"),
  },

  // Versions.
  "version.list": { call: (c, f) => c.version.list({ workflowId: f.workflowId }), expected: needs("viewer") },
  "version.get": { call: (c, f) => c.version.get({ versionId: f.headVersionId }), expected: needs("viewer") },
  "version.diff": {
    call: async (c, f) =>
      c.version.diff({
        workflowId: f.workflowId,
        fromVersionId: f.headVersionId,
        toVersionId: await f.version2(),
      }),
    expected: needs("viewer"),
  },
  "version.restore": {
    call: async (c, f) => {
      const head = await f.version2();
      return c.version.restore({ workflowId: f.workflowId, versionId: f.headVersionId, baseVersionId: head });
    },
    expected: needs("editor"),
  },

  // Models and uploads: not tied to a workflow.
  "models.list": { call: (c) => c.models.list(), expected: SIGNED_IN },
  "assets.list": { call: (c) => c.assets.list(), expected: SIGNED_IN },
  "assets.delete": {
    call: async (c, f) => c.assets.delete({ assetId: await f.assetId() }),
    // The uploader (the owner here) and admins; nobody else even sees an unused upload.
    expected: onlyAuthor("owner", "allow", { viewer: "hidden", reviewer: "hidden", editor: "hidden" }),
  },

  // Runs.
  "run.start": {
    call: (c, f) => c.run.start({ workflowId: f.workflowId, versionId: f.headVersionId }),
    expected: needs("editor"),
  },
  "run.cancel": { call: async (c, f) => c.run.cancel({ runId: await f.run() }), expected: needs("editor") },
  "run.resume": {
    call: async (c, f) => c.run.resume({ runId: await f.run() }),
    expected: needs("editor"),
    pastAuth: true,
  },
  "run.rerun": {
    call: async (c, f) => c.run.rerun({ runId: await f.run(), changes: [] }),
    expected: needs("editor"),
    pastAuth: true,
  },
  "run.get": { call: async (c, f) => c.run.get({ runId: await f.run() }), expected: needs("viewer") },
  "run.list": { call: (c, f) => c.run.list({ workflowId: f.workflowId }), expected: needs("viewer") },
  // Queue places count everyone's runs but name none: whoever may view the run or workflow may ask.
  "run.queuePosition": {
    call: async (c, f) => c.run.queuePosition({ runId: await f.run() }),
    expected: needs("viewer"),
  },
  "run.queue": { call: (c, f) => c.run.queue({ workflowId: f.workflowId }), expected: needs("viewer") },
  "run.compare": {
    call: async (c, f) => c.run.compare({ runIds: [await f.run(), await f.secondRun()] }),
    expected: needs("viewer"),
  },
  "run.progress": {
    call: async (c, f) => {
      const runId = await f.run();
      const stream = await c.run.progress({ runId });
      const iterator = stream[Symbol.asyncIterator]();
      try {
        return await iterator.next();
      } finally {
        await iterator.return?.();
      }
    },
    expected: needs("viewer"),
  },

  // Sharing.
  "sharing.access": {
    call: (c, f) => c.sharing.access({ workflowId: f.workflowId }),
    expected: needs("viewer"),
  },
  "sharing.sharedWithMe": { call: (c) => c.sharing.sharedWithMe(), expected: SIGNED_IN },
  "sharing.share": {
    call: (c, f) =>
      c.sharing.share({ workflowId: f.workflowId, email: "someone@authz.test", role: "viewer" }),
    expected: needs("owner"),
  },
  "sharing.changeRole": {
    call: (c, f) => c.sharing.changeRole({ workflowId: f.workflowId, userId: f.extraUserId, role: "editor" }),
    expected: needs("owner"),
  },
  "sharing.remove": {
    call: (c, f) => c.sharing.remove({ workflowId: f.workflowId, userId: f.extraUserId }),
    expected: needs("owner"),
  },
  "sharing.createLink": {
    call: (c, f) => c.sharing.createLink({ workflowId: f.workflowId, role: "viewer", expiresInDays: 3 }),
    expected: needs("owner"),
  },
  "sharing.revokeLink": {
    call: async (c, f) => c.sharing.revokeLink({ workflowId: f.workflowId, linkId: (await f.link()).id }),
    expected: needs("owner"),
  },
  "sharing.acceptLink": {
    // Whoever holds the token and is signed in gets the link's role (it never lowers a higher one).
    call: async (c, f) => c.sharing.acceptLink({ token: (await f.link()).token }),
    expected: SIGNED_IN,
  },

  // Comments (helper C).
  "comments.list": {
    call: (c, f) => c.comments.list({ workflowId: f.workflowId }),
    expected: needs("viewer"),
  },
  "comments.counts": {
    call: (c, f) => c.comments.counts({ workflowId: f.workflowId }),
    expected: needs("viewer"),
  },
  "comments.unreadByWorkflow": {
    // Counts only workflows the person may open; others' ids count nothing.
    call: (c, f) => c.comments.unreadByWorkflow({ workflowIds: [f.workflowId] }),
    expected: SIGNED_IN,
  },
  "comments.add": {
    call: (c, f) =>
      c.comments.add({ workflowId: f.workflowId, target: { kind: "workflow" }, body: "Looks good" }),
    expected: needs("reviewer"),
  },
  "comments.edit": {
    call: async (c, f) => c.comments.edit({ commentId: await f.comment(), body: "Edited" }),
    expected: onlyAuthor("reviewer", "forbidden"),
  },
  "comments.delete": {
    call: async (c, f) => c.comments.delete({ commentId: await f.comment() }),
    expected: onlyAuthor("reviewer", "forbidden"),
  },
  "comments.resolve": {
    call: async (c, f) => c.comments.resolve({ commentId: await f.comment(), resolved: true }),
    expected: needs("reviewer"),
  },
  "comments.markRead": {
    call: (c, f) => c.comments.markRead({ workflowId: f.workflowId }),
    expected: needs("viewer"),
  },

  // Activity and notifications (helper C).
  "activity.list": {
    call: (c, f) => c.activity.list({ workflowId: f.workflowId }),
    expected: needs("viewer"),
  },
  "notifications.list": { call: (c) => c.notifications.list({}), expected: SIGNED_IN },
  "notifications.unreadCount": { call: (c) => c.notifications.unreadCount(), expected: SIGNED_IN },
  "notifications.markRead": {
    // Ids of other people's notifications change nothing (each person marks only their own).
    call: async (c) => c.notifications.markRead({ ids: ["someone-elses-notification"] }),
    expected: SIGNED_IN,
  },
  "notifications.markAllRead": { call: (c) => c.notifications.markAllRead(), expected: SIGNED_IN },

  // Proposals (helper D).
  "proposals.create": {
    call: (c, f) =>
      c.proposals.create({ workflowId: f.workflowId, versionId: f.headVersionId, title: "Try" }),
    expected: needs("reviewer"),
  },
  "proposals.update": {
    call: async (c, f) => c.proposals.update({ proposalId: await f.proposal(), title: "Retitled" }),
    expected: onlyAuthor("reviewer", "forbidden"),
  },
  "proposals.run": {
    call: async (c, f) => c.proposals.run({ proposalId: await f.proposal() }),
    // The author, and anyone who may run the workflow.
    expected: { ...needs("editor"), reviewer: "allow" },
  },
  "proposals.list": {
    call: (c, f) => c.proposals.list({ workflowId: f.workflowId }),
    expected: needs("viewer"),
  },
  "proposals.get": {
    call: async (c, f) => c.proposals.get({ proposalId: await f.proposal() }),
    expected: needs("viewer"),
  },
  "proposals.accept": {
    call: async (c, f) => c.proposals.accept({ proposalId: await f.proposal() }),
    expected: needs("editor"),
  },
  "proposals.decline": {
    call: async (c, f) => c.proposals.decline({ proposalId: await f.proposal(), comment: "Not now" }),
    expected: needs("editor"),
  },
  "proposals.withdraw": {
    call: async (c, f) => c.proposals.withdraw({ proposalId: await f.proposal() }),
    expected: onlyAuthor("reviewer", "forbidden"),
  },

  // Run workers (issue 13): the admin's workers page.
  "workers.list": { call: (c) => c.workers.list(), expected: ADMINS_ONLY },
};

/** HTTP routes (app/api/**\/route.ts) and how each is covered. */
const ROUTES: Record<string, { covered: string } | { rows: Record<string, Row> }> = {
  "app/api/trpc/[trpc]/route.ts": { covered: "by the procedure rows above (the same router and services)" },
  "app/api/auth/[...all]/route.ts": {
    covered: "the auth library's own sign-in/up/out endpoints: public by design",
  },
  "app/api/artifacts/[id]/route.ts": {
    rows: {
      "GET /api/artifacts/[id]": {
        call: async (_c, f, person) => {
          const id = await f.artifact();
          const response = await artifactResponse(
            new Request(`http://localhost/api/artifacts/${id}`),
            contextOf(person),
            id,
          );
          return answerOf(response);
        },
        expected: needs("viewer"),
      },
    },
  },
  // Load balancers and orchestrators probe these without a session: a status and check names, nothing else.
  "app/api/health/live/route.ts": {
    rows: {
      "GET /api/health/live": {
        call: async () => answerOf(healthLiveResponse()),
        expected: PUBLIC,
      },
    },
  },
  "app/api/health/ready/route.ts": {
    rows: {
      "GET /api/health/ready": {
        call: async () => answerOf(await healthReadyResponse({ db: database.db, databaseUrl: database.url })),
        expected: PUBLIC,
      },
    },
  },
  "app/api/models/samples/route.ts": {
    rows: {
      "GET /api/models/samples": {
        call: async (_c, _f, person) =>
          answerOf(
            await modelSamplesResponse(
              new Request("http://localhost/api/models/samples?model=tiny-shapes-sd"),
              contextOf(person),
            ),
          ),
        // The bundled model's grid: everyone signed in may pick bundled models.
        expected: SIGNED_IN,
      },
    },
  },
  "app/api/uploads/route.ts": {
    rows: {
      "POST /api/uploads": {
        call: async (_c, _f, person) => {
          const body = new TextEncoder().encode("not an onnx model");
          const request = new Request("http://localhost/api/uploads?kind=scorer&name=x.onnx", {
            method: "POST",
            body,
            headers: { "content-length": String(body.length) },
          });
          return answerOf(await handleUpload(request, contextOf(person), { checkHost: false, dataDir }));
        },
        // Signed-in people get as far as the file check (a 422 for this file), others are asked to sign in.
        expected: SIGNED_IN,
        pastAuth: true,
      },
    },
  },
};

let database: TestDatabase;
let dataDir: string;
const actors = {} as Record<Person, Actor>;
const saved = { data: process.env.DNO_DATA_DIR, embedded: process.env.DNO_EMBEDDED_WORKER };
let extraUserId = "";
let caseNumber = 0;

function contextOf(person: Person): ServiceContext {
  return { db: database.db, actor: actors[person] };
}

/** A route's Response as the same outcomes as a procedure's (thrown AppErrors). */
async function answerOf(response: Response): Promise<unknown> {
  const codes: Record<number, AppError["code"]> = {
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    410: "GONE",
    422: "VALIDATION",
    400: "VALIDATION",
  };
  if (response.ok) return response.status;
  const body = (await response.json()) as { error?: string };
  throw new AppError(codes[response.status] ?? "INTERNAL", body.error ?? `HTTP ${response.status}`);
}

function exampleDocument(): GraphDocument {
  const example = exampleWorkflows.find((candidate) => candidate.slug === "brighten-with-a-guard");
  if (!example) throw new Error("the brighten example is missing");
  return structuredClone(example.document);
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => {
    made ??= make();
    return made;
  };
}

async function makeFixture(): Promise<Fixture> {
  const owner = contextOf("owner");
  const reviewer = contextOf("reviewer");
  const document = exampleDocument();
  const workflow = await createWorkflow(owner, { name: `Shared ${++caseNumber}`, document });
  for (const [person, role] of [
    ["viewer", "viewer"],
    ["reviewer", "reviewer"],
    ["editor", "editor"],
  ] as const) {
    await database.db.workflowShare.create({
      data: { workflowId: workflow.id, userId: actors[person].userId ?? "", role },
    });
  }
  await database.db.workflowShare.create({
    data: { workflowId: workflow.id, userId: extraUserId, role: "viewer" },
  });
  const startOne = async () =>
    (
      await startRun(owner, {
        workflowId: workflow.id,
        versionId: workflow.headVersion.id,
        checkpointEvery: 1,
      })
    ).run.id;
  const run = once(startOne);
  const fixture: Fixture = {
    workflowId: workflow.id,
    headVersionId: workflow.headVersion.id,
    document,
    extraUserId,
    version2: once(async () => {
      const changed = structuredClone(document);
      changed.nodes[0] = { ...changed.nodes[0], position: { x: 7, y: 7 } } as GraphDocument["nodes"][number];
      const saved = await saveWorkflow(owner, {
        workflowId: workflow.id,
        baseVersionId: workflow.headVersion.id,
        document: changed,
        message: "Moved",
      });
      return saved.version.id;
    }),
    run,
    secondRun: once(startOne),
    artifact: once(async () => {
      const runId = await run();
      await database.db.run.update({ where: { id: runId }, data: { status: "running", workerId: "table" } });
      const png = encodePng({ width: 1, height: 1, data: new Uint8Array([10, 20, 30]) });
      const recorded = await recordRunStep(owner, {
        runId,
        workerId: "table",
        metrics: { iteration: 0, rewards: {}, guards: {}, pr: null, objective: 0, gradNorm: 0, ms: {} },
        elapsedMs: 1,
        image: { png, width: 1, height: 1 },
        checkpoint: null,
      });
      return recorded.imageArtifactId ?? "";
    }),
    proposal: once(
      async () =>
        (
          await createProposal(reviewer, {
            workflowId: workflow.id,
            versionId: workflow.headVersion.id,
            title: "Stronger guard",
          })
        ).id,
    ),
    comment: once(
      async () =>
        (await addComment(reviewer, { workflowId: workflow.id, target: { kind: "workflow" }, body: "Hmm" }))
          .id,
    ),
    link: once(async () => {
      const created = await createShareLink(owner, { workflowId: workflow.id, role: "viewer" });
      return { id: created.link.id, token: created.token };
    }),
    assetId: once(async () => {
      const sha256 = createHash("sha256").update(workflow.id).digest("hex");
      const asset = await database.db.asset.create({
        data: {
          kind: "scorer",
          name: "owner's scorer.onnx",
          sha256,
          byteSize: 1,
          storageKey: `scorer/${sha256}`,
          uploadedById: actors.owner.userId,
        },
      });
      return asset.id;
    }),
    trash: once(async () => {
      await deleteWorkflow(owner, { workflowId: workflow.id });
    }),
    ownerApiToken: once(async () => (await createApiToken(owner, { name: "owner's script" })).id),
    invitation: once(
      async () =>
        (
          await createInvitation(
            contextOf("admin"),
            { email: `invited-${caseNumber}@authz.test` },
            "http://localhost",
          )
        ).id,
    ),
  };
  return fixture;
}

/** What a call came to, as a table outcome (or a description of an unexpected failure). */
async function outcomeOf(row: Row, person: Person): Promise<Outcome | string> {
  const fixture = await makeFixture();
  const caller = createCaller({ db: database.db, actor: actors[person] });
  try {
    await row.call(caller, fixture, person);
    return "allow";
  } catch (error) {
    const appError =
      error instanceof AppError
        ? error
        : error instanceof TRPCError && error.cause instanceof AppError
          ? error.cause
          : null;
    const code = appError?.code ?? (error instanceof TRPCError ? error.code : "THROWN");
    if (code === "UNAUTHORIZED") return "sign-in";
    if (code === "FORBIDDEN") return "forbidden";
    if (code === "NOT_FOUND") return "hidden";
    if (row.pastAuth && code !== "INTERNAL" && code !== "INTERNAL_SERVER_ERROR" && code !== "THROWN")
      return "allow";
    return `${code}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dno-authz-table-"));
  process.env.DNO_DATA_DIR = dataDir;
  // Runs stay queued: no worker of the app's own may pick them up.
  process.env.DNO_EMBEDDED_WORKER = "0";
  database = await createTestDatabase();
  actors.anonymous = ANONYMOUS;
  for (const person of PEOPLE) {
    if (person === "anonymous") continue;
    const user = await createTestUser(database.db, {
      name: person,
      email: `${person.toLowerCase()}@authz.test`,
    });
    actors[person] = userActor(user.id, person === "admin" ? "admin" : "user");
  }
  await createTestUser(database.db, { name: "Someone", email: "someone@authz.test" });
  extraUserId = (await createTestUser(database.db, { name: "Extra", email: "extra@authz.test" })).id;
});
afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  for (const [key, value] of [
    ["DNO_DATA_DIR", saved.data],
    ["DNO_EMBEDDED_WORKER", saved.embedded],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe("the authorization table covers everything", () => {
  it("has a row for every procedure of the router (add one for a new procedure)", () => {
    const procedures = Object.keys(appRouter._def.procedures).sort();
    const missing = procedures.filter((name) => !(name in PROCEDURES));
    expect(missing, `procedures without a row in server/api/authorization-table.test.ts`).toEqual([]);
    const stale = Object.keys(PROCEDURES).filter((name) => !procedures.includes(name));
    expect(stale, "rows for procedures that no longer exist").toEqual([]);
  });

  it("has an entry for every route file under app/api", () => {
    const root = path.resolve(__dirname, "../../app/api");
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name === "route.ts") found.push(path.relative(path.resolve(root, "../.."), full));
      }
    };
    walk(root);
    const missing = found.filter((file) => !(file in ROUTES));
    expect(missing, "route files without an entry in ROUTES").toEqual([]);
  });
});

const ROWS: [string, Row][] = [
  ...Object.entries(PROCEDURES),
  ...Object.values(ROUTES).flatMap((route) => ("rows" in route ? Object.entries(route.rows) : [])),
];

describe.each(ROWS)("%s", (name, row) => {
  it.each(PEOPLE)("as %s", async (person) => {
    const outcome = await outcomeOf(row, person);
    if (process.env.AUTHZ_TABLE_PRINT) console.log(`${name} × ${person}: ${outcome}`);
    expect(outcome, `${name} as ${person}`).toBe(row.expected[person]);
  });
});
