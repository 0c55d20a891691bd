// What the Google screens read and send (docs/integrations.md, Google).
import { get, ifMatch, request } from "../../core/api";

export interface GoogleHealth {
  state: string;
  last_synced_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  failures: number;
  next_sync_at: string | null;
  counts: Record<string, number>;
  syncing: boolean;
}

export interface ContactsSettings {
  direction: string;
  groups: string[];
  export: string;
  export_ids: string[];
  deletions: string;
}

export interface CalendarSettings {
  direction: string;
  calendars: string[];
  deletions: string;
}

export interface MailSettings {
  enabled: boolean;
  visibility: string;
  sync_since: string;
}

export interface GoogleConnection {
  id: string;
  email: string | null;
  owner_id: string | null;
  contacts: ContactsSettings;
  calendar: CalendarSettings;
  mail: MailSettings;
  state: string;
  needs_reconnect: boolean;
  health: GoogleHealth;
  version: number;
}

export interface ContactGroup {
  id: string;
  name: string | null;
  system: boolean;
}

export interface GoogleCalendar {
  id: string;
  name: string;
  time_zone: string | null;
  primary: boolean;
}

const BASE = "/google-connections";

export async function listConnections(): Promise<GoogleConnection[]> {
  return (await get<{ items: GoogleConnection[] }>(BASE)).items;
}

/** Where Google sends the user back: this app's callback page on this origin. */
export function callbackUrl(): string {
  return `${window.location.origin}/settings/google/callback`;
}

export async function startAuthorization(connectionId?: string): Promise<string> {
  const body: Record<string, string> = { redirect_uri: callbackUrl() };
  if (connectionId) body.connection_id = connectionId;
  const { data } = await request<{ authorization_url: string }>(`${BASE}/authorize`, { method: "POST", body });
  return data.authorization_url;
}

export async function completeAuthorization(params: URLSearchParams): Promise<GoogleConnection> {
  const body: Record<string, string> = { state: params.get("state") ?? "" };
  for (const key of ["code", "error", "scope"]) {
    const value = params.get(key);
    if (value) body[key] = value;
  }
  return (await request<GoogleConnection>(`${BASE}/callback`, { method: "POST", body })).data;
}

export async function saveConnection(
  connection: GoogleConnection,
  changes: { contacts?: Partial<ContactsSettings>; calendar?: Partial<CalendarSettings>; mail?: Partial<MailSettings> },
): Promise<GoogleConnection> {
  const { data } = await request<GoogleConnection>(`${BASE}/${connection.id}`, {
    method: "PATCH",
    body: changes,
    headers: ifMatch(connection.version),
  });
  return data;
}

export const syncNow = (id: string) => request(`${BASE}/${id}/sync`, { method: "POST" });
export const disconnect = (c: GoogleConnection) =>
  request(`${BASE}/${c.id}`, { method: "DELETE", headers: ifMatch(c.version) });
export const contactGroups = (id: string) => get<ContactGroup[]>(`${BASE}/${id}/contact-groups`);
export const calendars = (id: string) => get<GoogleCalendar[]>(`${BASE}/${id}/calendars`);
