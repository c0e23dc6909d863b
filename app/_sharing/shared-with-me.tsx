"use client";
/** "Shared with me" on the list page: workflows others shared with the person, with their role and owner. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";

export function SharedWithMe() {
  const trpc = useTRPC();
  const shared = useQuery(trpc.sharing.sharedWithMe.queryOptions());
  if (shared.isError) {
    return <div className="banner banner-error">{describeError(shared.error)}</div>;
  }
  if (!shared.data) return null;
  return (
    <section className="shared-with-me" data-testid="workflows.shared">
      <h2>Shared with me</h2>
      {shared.data.length === 0 ? (
        <p className="muted" data-testid="workflows.shared.empty">
          Nothing yet. When someone shares a workflow with you, it shows up here.
        </p>
      ) : (
        <table className="workflow-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Owner</th>
              <th>Your role</th>
              <th>Version</th>
            </tr>
          </thead>
          <tbody>
            {shared.data.map((workflow) => (
              <tr key={workflow.id} data-testid={`workflows.shared.${workflow.id}`} data-name={workflow.name}>
                <td>
                  <Link href={`/workflows/${workflow.id}`} className="workflow-name">
                    {workflow.name}
                  </Link>
                  {workflow.description ? <div className="muted">{workflow.description}</div> : null}
                </td>
                <td className="muted">{workflow.ownerName ?? "—"}</td>
                <td>
                  <span className="role-badge" data-testid={`workflows.shared.${workflow.id}.role`}>
                    {workflow.role}
                  </span>
                </td>
                <td>v{workflow.headVersion.number}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
