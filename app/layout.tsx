import type { Metadata } from "next";
import type { ReactNode } from "react";
import "@xyflow/react/dist/style.css";
import "./globals.css";
import { FirstRunTour } from "./_components/first-run-tour";
import { TrpcProviders } from "./_trpc/provider";

export const metadata: Metadata = {
  title: "DNO Studio",
  description: "Build inference-time alignment pipelines for diffusion models by wiring nodes.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TrpcProviders>
          {children}
          <FirstRunTour />
        </TrpcProviders>
      </body>
    </html>
  );
}
