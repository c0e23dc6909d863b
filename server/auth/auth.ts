/**
 * Accounts, by better-auth: email + password (scrypt hashing), database sessions in httpOnly SameSite=Lax
 * cookies (Secure over https), the Origin check against cross-site requests (CSRF), sign-in/sign-up rate
 * limits kept in the database (shared by every server process), password reset. Our rules sit in its hooks:
 * who may create an account and with which role (server/services/accounts/decide-new-account.ts), what
 * follows (first owner takes over the owner-less rows, examples per account), and no sign-in for a banned
 * account.
 *
 * One instance per database: `getAuth()` for the app's, `createAuth(db, url)` for tests.
 */
import { prismaAdapter } from "@better-auth/prisma-adapter";
import { betterAuth } from "better-auth";
import { APIError } from "better-auth/api";
import { getEnv } from "../env";
import { getDb, type DbClient } from "../db/client";
import { databaseUrl } from "../env";
import { resolveDatabaseTarget } from "../db/database-url";
import { AppError } from "../errors";
import { parseAllowedHosts } from "../http/host-allow-list";
import type { InstanceRole } from "../services/context";
import { decideNewAccount } from "../services/accounts/decide-new-account";
import { finishNewAccount } from "../services/accounts/finish-new-account";
import { getAuthEnv } from "./auth-env";
import { authSecret } from "./auth-secret";
import { sendMail } from "./send-mail";

/** Header carrying an invitation token on a sign-up request (the /sign-up page sets it from the link). */
export const INVITATION_HEADER = "x-dno-invitation";
export const MIN_PASSWORD_LENGTH = 10;
export const SESSION_DAYS = 30;

/** Sign-in attempts allowed per client address and window (the library's limiter, our numbers). */
export const SIGN_IN_RATE_LIMIT = { window: 60, max: 5 } as const;

export interface CreateAuthOptions {
  /** Defaults to the signing secret of the environment or the data folder (auth-secret.ts). */
  secret?: string;
  /** Defaults to BETTER_AUTH_URL, else the request's own (allowed) host. */
  baseUrl?: string;
}

/** The Host allow-list (server/http) as the library's host patterns, with any port. */
function allowedHostPatterns(): string[] {
  const env = getEnv();
  const list = parseAllowedHosts(env.allowedHosts, env.host);
  if (list.any) return ["*"];
  return list.entries.flatMap((entry) => {
    const name = entry.startsWith(".") ? entry.slice(1) : entry;
    const names = entry.startsWith(".") ? [name, `*.${name}`] : [name];
    return names.flatMap((pattern) =>
      pattern.includes(":") && !pattern.startsWith("[") ? [pattern] : [pattern, `${pattern}:*`],
    );
  });
}

/** AppError (our services' refusals) → the library's APIError, so that the message reaches the form. */
function asApiError(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  const status =
    error.code === "CONFLICT" ? "CONFLICT" : error.code === "UNAUTHORIZED" ? "UNAUTHORIZED" : "FORBIDDEN";
  return new APIError(status, { message: error.message, code: error.code });
}

function roleOf(value: unknown): InstanceRole {
  return value === "owner" || value === "admin" ? value : "user";
}

export function createAuth(db: DbClient, url: string, options: CreateAuthOptions = {}) {
  const env = getAuthEnv();
  const baseUrl = options.baseUrl ?? env.baseUrl;
  const provider = resolveDatabaseTarget(url).provider === "sqlite" ? "sqlite" : "postgresql";
  // Invitation ids decided in the before-hook, picked up by the after-hook of the same user (by email).
  const pendingInvitations = new Map<string, string | null>();
  return betterAuth({
    appName: "DNO Studio",
    secret: options.secret ?? authSecret(),
    baseURL: baseUrl ?? { allowedHosts: allowedHostPatterns(), protocol: "auto" },
    basePath: "/api/auth",
    database: prismaAdapter(db, { provider }),
    telemetry: { enabled: false },
    emailAndPassword: {
      enabled: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: 256,
      autoSignIn: true,
      revokeSessionsOnPasswordReset: true,
      resetPasswordTokenExpiresIn: 60 * 60,
      async sendResetPassword({ user, url: link }) {
        await sendMail({
          to: user.email,
          subject: "Reset your DNO Studio password",
          text: `Someone asked to reset the password of ${user.email} on DNO Studio.\nOpen this link within an hour to choose a new password: ${link}\nIf it was not you, ignore this mail.`,
        });
      },
    },
    session: {
      expiresIn: SESSION_DAYS * 24 * 60 * 60,
      updateAge: 24 * 60 * 60,
    },
    user: {
      additionalFields: {
        // Set by our hooks and the admin page only: never from a sign-up form (input: false).
        role: { type: "string", required: false, defaultValue: "user", input: false },
        banned: { type: "boolean", required: false, defaultValue: false, input: false },
      },
    },
    rateLimit: {
      enabled: true,
      storage: "database",
      window: 60,
      max: 100,
      customRules: {
        "/sign-in/email": SIGN_IN_RATE_LIMIT,
        "/sign-up/email": { window: 60, max: 5 },
        "/change-password": { window: 60, max: 5 },
        "/request-password-reset": { window: 60, max: 3 },
        "/reset-password": { window: 60, max: 5 },
      },
    },
    advanced: {
      useSecureCookies: baseUrl?.startsWith("https://") ?? false,
    },
    databaseHooks: {
      user: {
        create: {
          async before(user, context) {
            const token = context?.headers?.get(INVITATION_HEADER) ?? null;
            try {
              const decision = await decideNewAccount(db, { email: user.email, invitationToken: token });
              pendingInvitations.set(user.email.toLowerCase(), decision.invitationId);
              return { data: { ...user, role: decision.role, banned: false } };
            } catch (error) {
              throw asApiError(error);
            }
          },
          async after(user) {
            const key = user.email.toLowerCase();
            const invitationId = pendingInvitations.get(key) ?? null;
            pendingInvitations.delete(key);
            await finishNewAccount(db, { id: user.id, role: roleOf(user.role) }, invitationId);
          },
        },
      },
      session: {
        create: {
          async before(session) {
            const user = await db.user.findUnique({
              where: { id: session.userId },
              select: { banned: true },
            });
            if (user?.banned) {
              throw new APIError("FORBIDDEN", {
                message: "This account is disabled. Ask the owner of this DNO Studio.",
              });
            }
          },
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;

interface AuthHolder {
  dnoAuth?: { url: string; auth: Auth };
}

/** The app's auth instance, for the database of DATABASE_URL; kept on globalThis across hot reloads. */
export function getAuth(): Auth {
  const holder = globalThis as AuthHolder;
  const url = databaseUrl();
  if (!holder.dnoAuth || holder.dnoAuth.url !== url) {
    holder.dnoAuth = { url, auth: createAuth(getDb(), url) };
  }
  return holder.dnoAuth.auth;
}
