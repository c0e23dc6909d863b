/**
 * The environment variables of accounts: the signing secret, the public base URL and the mail server. Read
 * here (not in server/env.ts) so that the rest of the server does not depend on them.
 */
import { z } from "zod";

const authEnvSchema = z.object({
  BETTER_AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  BETTER_AUTH_URL: z.url({ protocol: /^https?$/ }).optional(),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SMTP_SECURE: z.enum(["true", "false"]).optional(),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_FROM: z.string().min(3).optional(),
});

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
}

export interface AuthEnv {
  secret?: string;
  /** Public base URL (e.g. https://dno.example.com); when absent, the request's own allowed Host is used. */
  baseUrl?: string;
  /** null: no mail server; mails (reset links, invitations) go to the server log. */
  smtp: SmtpSettings | null;
}

function emptyToUndefined(source: Record<string, string | undefined>): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(source)) result[key] = value === "" ? undefined : value;
  return result;
}

export function getAuthEnv(source: Record<string, string | undefined> = process.env): AuthEnv {
  const parsed = authEnvSchema.safeParse(emptyToUndefined(source));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment variables for accounts:\n${lines.join("\n")}`);
  }
  const values = parsed.data;
  const smtp: SmtpSettings | null = values.SMTP_HOST
    ? {
        host: values.SMTP_HOST,
        port: values.SMTP_PORT ?? (values.SMTP_SECURE === "true" ? 465 : 587),
        secure: values.SMTP_SECURE === "true",
        user: values.SMTP_USER,
        password: values.SMTP_PASSWORD,
        from: values.SMTP_FROM ?? `DNO Studio <no-reply@${values.SMTP_HOST}>`,
      }
    : null;
  return { secret: values.BETTER_AUTH_SECRET, baseUrl: values.BETTER_AUTH_URL?.replace(/\/+$/, ""), smtp };
}
