-- CreateTable
CREATE TABLE "Worker" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "device" TEXT NOT NULL,
    "concurrency" INTEGER NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastHeartbeatAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stoppedAt" DATETIME,
    "runsDone" INTEGER NOT NULL DEFAULT 0
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Run" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workflowId" TEXT NOT NULL,
    "workflowVersionId" TEXT NOT NULL,
    "ownerId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "config" TEXT NOT NULL,
    "error" TEXT,
    "errorNodeId" TEXT,
    "revisesRunId" TEXT,
    "proposalId" TEXT,
    "device" TEXT,
    "modelHashes" TEXT,
    "seeds" TEXT,
    "iterationsPlanned" INTEGER,
    "iterationsDone" INTEGER NOT NULL DEFAULT 0,
    "bestIteration" INTEGER,
    "bestReward" REAL,
    "checkpointArtifactId" TEXT,
    "checkpointIteration" INTEGER,
    "workerId" TEXT,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "fairRank" INTEGER NOT NULL DEFAULT 0,
    "leaseExpiresAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "cancelRequestedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "lastHeartbeatAt" DATETIME,
    CONSTRAINT "Run_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Run_workflowVersionId_fkey" FOREIGN KEY ("workflowVersionId") REFERENCES "WorkflowVersion" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Run_revisesRunId_fkey" FOREIGN KEY ("revisesRunId") REFERENCES "Run" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Run_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Run_checkpointArtifactId_fkey" FOREIGN KEY ("checkpointArtifactId") REFERENCES "Artifact" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("bestIteration", "bestReward", "cancelRequestedAt", "checkpointArtifactId", "checkpointIteration", "config", "createdAt", "device", "error", "errorNodeId", "finishedAt", "id", "iterationsDone", "iterationsPlanned", "lastHeartbeatAt", "modelHashes", "ownerId", "proposalId", "revisesRunId", "seeds", "startedAt", "status", "workerId", "workflowId", "workflowVersionId") SELECT "bestIteration", "bestReward", "cancelRequestedAt", "checkpointArtifactId", "checkpointIteration", "config", "createdAt", "device", "error", "errorNodeId", "finishedAt", "id", "iterationsDone", "iterationsPlanned", "lastHeartbeatAt", "modelHashes", "ownerId", "proposalId", "revisesRunId", "seeds", "startedAt", "status", "workerId", "workflowId", "workflowVersionId" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE INDEX "Run_workflowId_createdAt_idx" ON "Run"("workflowId", "createdAt");
CREATE INDEX "Run_status_createdAt_idx" ON "Run"("status", "createdAt");
CREATE INDEX "Run_status_priority_fairRank_createdAt_idx" ON "Run"("status", "priority", "fairRank", "createdAt");
CREATE INDEX "Run_status_leaseExpiresAt_idx" ON "Run"("status", "leaseExpiresAt");
CREATE INDEX "Run_ownerId_createdAt_idx" ON "Run"("ownerId", "createdAt");
CREATE INDEX "Run_revisesRunId_idx" ON "Run"("revisesRunId");
CREATE INDEX "Run_proposalId_idx" ON "Run"("proposalId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Worker_lastHeartbeatAt_idx" ON "Worker"("lastHeartbeatAt");
