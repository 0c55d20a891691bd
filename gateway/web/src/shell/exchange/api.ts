// What the Exchange screens read and send (docs/integrations.md, Exchange).
import { get, ifMatch, request } from "../../core/api";

export interface ExchangeHealth {
  state: string;
  last_synced_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  failures: number;
  next_sync_at: string | null;
  counts: Record<string, number>;
  syncing: boolean;
}

export interface ExchangeConnection {
  id: string;
  email: string | null;
  login: string | null;
  auth: string | null;
  ews_url: string | null;
  autodiscover_url: string | null;
  discovered_ews_url: string | null;
  sync_mail: boolean | null;
  visibility: string | null;
  import_contacts: boolean | null;
  contact_folders: string[] | null;
  export_contacts: string | null;
  export_contact_ids?: string[] | null;
  sync_calendar: boolean | null;
  sync_tasks: boolean | null;
  deletions: string | null;
  past_days: number | null;
  future_days: number | null;
  is_shared: boolean;
  owner_id: string | null;
  has_secret: boolean;
  state: string;
  health: ExchangeHealth;
  linked?: Record<string, number> | null;
  version: number;
}

export interface ExchangeFolder {
  id: string;
  name: string;
}

export interface ExchangeTest {
  ok: boolean;
  error: string | null;
  error_kind: string | null;
  ews_url: string | null;
  contact_folders: ExchangeFolder[];
}

export interface ExchangeConflict {
  kind: string;
  crm_id: string;
  field: string;
  crm_value: unknown;
  remote_value: unknown;
  winner: string;
  at: string;
}

const BASE = "/exchange-connections";

export async function listConnections(): Promise<ExchangeConnection[]> {
  return (await get<{ items: ExchangeConnection[] }>(BASE)).items;
}

export const getConnection = (id: string) => get<ExchangeConnection>(`${BASE}/${id}`);
export const testConnection = async (body: Record<string, unknown>) =>
  (await request<ExchangeTest>(`${BASE}/test-connection`, { method: "POST", body })).data;
export const createConnection = (body: Record<string, unknown>) => request<ExchangeConnection>(BASE, { method: "POST", body });
export const updateConnection = (c: ExchangeConnection, body: Record<string, unknown>) =>
  request<ExchangeConnection>(`${BASE}/${c.id}`, { method: "PATCH", body, headers: ifMatch(c.version) });
export const syncNow = (id: string) => request(`${BASE}/${id}/sync`, { method: "POST" });
export const disconnect = (c: ExchangeConnection) => request(`${BASE}/${c.id}`, { method: "DELETE", headers: ifMatch(c.version) });
export const folders = (id: string) => get<ExchangeFolder[]>(`${BASE}/${id}/folders`);
export const conflicts = async (id: string) => (await get<{ items: ExchangeConflict[] }>(`${BASE}/${id}/conflicts`)).items;
