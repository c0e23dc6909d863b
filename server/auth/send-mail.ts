/**
 * Mails to people (password-reset links, invitations): through the SMTP server of SMTP_* when one is
 * configured, else written to the server log so that an operator can pass the link on.
 */
import nodemailer from "nodemailer";
import { getAuthEnv } from "./auth-env";

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export async function sendMail(mail: Mail): Promise<{ delivered: "smtp" | "log" }> {
  const smtp = getAuthEnv().smtp;
  if (!smtp) {
    console.log(`[mail] No mail server configured (SMTP_HOST); to ${mail.to}: ${mail.subject}\n${mail.text}`);
    return { delivered: "log" };
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? "" } : undefined,
  });
  await transport.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text });
  return { delivered: "smtp" };
}
