/** Proposals (the review flow): drafts branched from a version, run, discussed, accepted or declined. */
import { z } from "zod";
import { graphDocumentInputSchema } from "@/nodes";
import { acceptProposal } from "../../services/proposals/accept-proposal";
import { createProposal } from "../../services/proposals/create-proposal";
import { declineProposal } from "../../services/proposals/decline-proposal";
import { getProposal } from "../../services/proposals/get-proposal";
import { listProposals } from "../../services/proposals/list-proposals";
import {
  MAX_PROPOSAL_TEXT_LENGTH,
  MAX_PROPOSAL_TITLE_LENGTH,
  PROPOSAL_STATUSES,
} from "../../services/proposals/proposal-views";
import { runProposal } from "../../services/proposals/run-proposal";
import { updateProposal } from "../../services/proposals/update-proposal";
import { withdrawProposal } from "../../services/proposals/withdraw-proposal";
import { announceQueuedRuns } from "../../worker/queue";
import { ensureEmbeddedWorker } from "../../worker/start-worker";
import { workerConfig } from "../../worker/worker-config";
import { createTRPCRouter, publicProcedure } from "../trpc";
import { recordIdSchema } from "./schemas";

const titleSchema = z
  .string()
  .max(MAX_PROPOSAL_TITLE_LENGTH, `Titles are at most ${MAX_PROPOSAL_TITLE_LENGTH} characters`);
const textSchema = z
  .string()
  .max(MAX_PROPOSAL_TEXT_LENGTH, `Comments are at most ${MAX_PROPOSAL_TEXT_LENGTH} characters`);
const paramChangeSchema = z.object({
  nodeId: z.string().min(1).max(100),
  param: z.string().min(1).max(100),
  value: z.unknown(),
});
const draftFields = {
  title: titleSchema.optional(),
  description: textSchema.optional(),
  document: graphDocumentInputSchema.optional(),
  changes: z.array(paramChangeSchema).max(200).optional(),
};

export const proposalsRouter = createTRPCRouter({
  create: publicProcedure
    .input(
      z.union([
        z.object({ workflowId: recordIdSchema, versionId: recordIdSchema, ...draftFields }),
        z.object({ runId: recordIdSchema, ...draftFields }),
      ]),
    )
    .mutation(({ ctx, input }) => createProposal(ctx, input)),

  update: publicProcedure
    .input(
      z.object({
        proposalId: recordIdSchema,
        document: graphDocumentInputSchema.optional(),
        title: titleSchema.optional(),
        description: textSchema.optional(),
        baseVersionId: recordIdSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateProposal(ctx, input)),

  run: publicProcedure
    .input(z.object({ proposalId: recordIdSchema, revisesRunId: recordIdSchema.optional() }))
    .mutation(async ({ ctx, input }) => {
      const run = await runProposal(ctx, { ...input, checkpointEvery: workerConfig().checkpointEvery });
      await ensureEmbeddedWorker();
      await announceQueuedRuns(ctx, [run.id]);
      return run;
    }),

  list: publicProcedure
    .input(z.object({ workflowId: recordIdSchema, status: z.enum(PROPOSAL_STATUSES).optional() }))
    .query(({ ctx, input }) => listProposals(ctx, input)),

  get: publicProcedure
    .input(z.object({ proposalId: recordIdSchema }))
    .query(({ ctx, input }) => getProposal(ctx, input)),

  accept: publicProcedure
    .input(z.object({ proposalId: recordIdSchema, comment: textSchema.optional() }))
    .mutation(({ ctx, input }) => acceptProposal(ctx, input)),

  decline: publicProcedure
    .input(z.object({ proposalId: recordIdSchema, comment: textSchema }))
    .mutation(({ ctx, input }) => declineProposal(ctx, input)),

  withdraw: publicProcedure
    .input(z.object({ proposalId: recordIdSchema }))
    .mutation(({ ctx, input }) => withdrawProposal(ctx, input)),
});
