// What the mail screens read and send: mailboxes, emails, templates (see
// docs/integrations.md). Record types are the API's singular words ("contact").
import { ApiError, get, request } from "../../core/api";

export interface MailboxHealth {
  state: string;
  last_synced_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  failures: number;
  next_sync_at: string | null;
  counts: Record<string, number>;
  syncing: boolean;
  messages_synced: number;
}

export interface Mailbox {
  id: string;
  kind: string;
  email: string | null;
  login: string | null;
  imap_host: string | null;
  imap_port: number | null;
  smtp_host: string | null;
  smtp_port: number | null;
  security: string | null;
  smtp_security: string | null;
  folders: string[];
  sent_folder: string | null;
  sync_since: string | null;
  visibility: string | null;
  store_internal: boolean;
  is_shared: boolean;
  owner_id: string | null;
  has_password: boolean;
  state: string;
  health: MailboxHealth;
  last_synced_at: string | null;
  messages_synced: number;
  last_error: string | null;
  version: number;
}

export interface ConnectionTest {
  ok: boolean;
  error: string | null;
  error_kind: string | null;
  folders: string[];
  sent_folder: string | null;
}

export interface EmailLink {
  type: string;
  id: string;
  rule: string | null;
}

export interface Email {
  id: string;
  thread_key: string;
  subject: string;
  from: string | null;
  from_name: string | null;
  to: string[];
  cc: string[];
  sent_at: string | null;
  direction: string;
  folder: string | null;
  mailbox_id: string | null;
  links: EmailLink[];
  needs_processing: boolean;
  has_attachments: boolean;
  view: string;
  snippet: string | null;
}

export interface Attachment {
  id: string;
  filename: string | null;
  content_type: string;
  size: number;
  kept: boolean;
}

export interface EmailDetail extends Email {
  body_text?: string | null;
  body_html?: string | null;
  attachments?: Attachment[];
}

export interface Template {
  id: string;
  name: string;
  subject: string;
  body: string;
  version: number;
}

/** The entities whose records mail links to, as the app's plural and the API's singular. */
export const RECORD_TYPES: Record<string, string> = {
  contacts: "contact",
  accounts: "account",
  leads: "lead",
  opportunities: "opportunity",
  orders: "order",
  invoices: "invoice",
};

export const ENTITY_OF: Record<string, string> = Object.fromEntries(
  Object.entries(RECORD_TYPES).map(([plural, singular]) => [singular, plural]),
);

export interface EmailPage {
  items: Email[];
  next_cursor: string | null;
}

/** One page of emails, newest first (`cursor`: the previous page's `next_cursor`). */
export async function listEmails(filters: Record<string, string>, cursor?: string | null, signal?: AbortSignal): Promise<EmailPage> {
  const query = new URLSearchParams({ limit: "50" });
  for (const [key, value] of Object.entries(filters)) query.set(`filter[${key}]`, value);
  if (cursor) query.set("cursor", cursor);
  const page = await get<EmailPage>(`/emails?${query.toString()}`, signal);
  return { items: page.items ?? [], next_cursor: page.next_cursor ?? null };
}

export async function listMailboxes(): Promise<Mailbox[]> {
  return (await get<{ items: Mailbox[] }>("/mailboxes?limit=100")).items ?? [];
}

export async function listTemplates(): Promise<Template[]> {
  return (await get<{ items: Template[] }>("/email-templates")).items ?? [];
}

export function emailPath(id: string): string {
  return `/emails/${encodeURIComponent(id)}`;
}

export function attachmentUrl(emailId: string, attachmentId: string): string {
  return `/api/v1/emails/${encodeURIComponent(emailId)}/attachments/${encodeURIComponent(attachmentId)}`;
}

/** The send a failed attempt kept (its id rides in the problem's `errors`). */
export function failedSendId(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 503) return null;
  return error.forField("send_id")[0] ?? null;
}

/** Send a composed message; the server fills merge fields and threads a reply. */
export async function sendEmail(body: Record<string, unknown>): Promise<EmailDetail> {
  return (await request<EmailDetail>("/emails/send", { method: "POST", body })).data;
}

export async function retrySend(sendId: string): Promise<EmailDetail> {
  return (await request<EmailDetail>(`/email-sends/${encodeURIComponent(sendId)}/retry`, { method: "POST" })).data;
}

/** Addresses typed into one field: commas, semicolons or spaces between them. */
export function splitAddresses(text: string): string[] {
  return text
    .split(/[,;\s]+/)
    .map((part) => part.trim())
    .filter(Boolean);
}

/** `{{contact.first_name}}` and friends filled from `context`; unknown fields stay for the
 * server (which knows more of the record), known ones without a value become empty. */
export function mergeFields(text: string, context: Record<string, Record<string, unknown> | undefined>): string {
  return text.replace(/\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}/g, (whole, scope: string, field: string) => {
    const record = context[scope];
    if (!record) return whole;
    const value = record[field];
    return value === null || value === undefined ? "" : String(value);
  });
}

/** A contact's merge fields, as the server makes them (first and last name, primary email). */
export function contactFields(contact: Record<string, unknown>): Record<string, unknown> {
  const parts = String(contact.full_name ?? "").split(/\s+/).filter(Boolean);
  const emails = Array.isArray(contact.emails) ? (contact.emails as Array<{ email?: string; is_primary?: boolean }>) : [];
  const primary = emails.find((e) => e.is_primary) ?? emails[0];
  return { ...contact, first_name: parts[0] ?? "", last_name: parts.slice(1).join(" "), email: primary?.email ?? null };
}

/** Read a file as base64 (the send API takes attachments inline). */
export function fileToBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result ?? "");
      resolve(url.slice(url.indexOf(",") + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error("read failed"));
    reader.readAsDataURL(file);
  });
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
