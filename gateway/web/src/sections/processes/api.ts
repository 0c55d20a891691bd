// The processes API as the screens use it. Diagrams travel as application/xml, which
// core/api.ts (JSON only) does not send, so those two calls are here.
import { ApiError, BASE, type FieldError } from "../../core/api";

export interface Definition {
  id: string;
  key: string;
  name: string;
  version: number;
  latest_version: number;
  deployed_version: number | null;
  is_deployed: boolean;
  is_shipped: boolean;
  row_version: number;
}

export interface Trigger {
  kind: "manual" | "signal" | "message" | "timer";
  name: string;
  start_event_id: string;
  condition?: string | null;
  record_type?: string;
}

export interface Version {
  id: string;
  number: number;
  name: string;
  triggers: Trigger[];
  summary: Record<string, unknown>;
  is_deployed: boolean;
  created_at: string;
}

export interface DefinitionDetail extends Definition {
  versions: Version[];
}

export interface Current {
  element_id: string;
  name: string | null;
  state: string;
}

export interface Instance {
  id: string;
  definition_id: string;
  version: number;
  name: string;
  state: "running" | "waiting" | "completed" | "failed" | "cancelled";
  record_type: string | null;
  record_id: string | null;
  started_at: string;
  next_due_at: string | null;
  current: Current[];
  error: { message?: string; element_id?: string; task_id?: string } | null;
}

export interface LogEntry {
  id: string;
  at: string;
  kind: string;
  element_id: string | null;
  element_name: string | null;
  task_id: string | null;
  actor_id: string | null;
  actor_name: string | null;
  data: unknown;
}

export interface ProcessTask {
  id: string;
  element_id: string;
  name: string | null;
  assignee_id: string | null;
  candidate_role: string | null;
  state: string;
  due_at: string | null;
  activity_id: string | null;
}

export interface InstanceDetail extends Instance {
  log: LogEntry[];
  tasks: ProcessTask[];
  calls: Array<Record<string, unknown>>;
}

export interface ActionParam {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

export interface Action {
  name: string;
  title: string;
  title_ru: string;
  description: string;
  available: boolean;
  params: ActionParam[];
}

export interface Catalogue {
  actions: Action[];
  start_events: string[];
  record_types: string[];
}

export interface Problem {
  field?: string;
  message: string;
  element_id?: string | null;
  element?: string | null;
  line?: number | null;
}

export interface Validation {
  valid: boolean;
  errors: Problem[];
  key: string | null;
  name: string | null;
}

export const STATES = ["running", "waiting", "completed", "failed", "cancelled"] as const;

/** POST a diagram as XML; JSON answer, RFC 9457 problems as ApiError. */
export async function sendXml<T>(path: string, xml: string, headers: Record<string, string> = {}): Promise<{ data: T; etag: string | null }> {
  let response: Response;
  try {
    response = await fetch(BASE + path, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/xml", ...headers },
      body: xml,
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "network", null, []);
  }
  const text = await response.text();
  let payload: Record<string, unknown> = {};
  try {
    payload = text ? JSON.parse(text) : {};
  } catch {
    payload = {};
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      String(payload.title ?? response.statusText),
      typeof payload.detail === "string" ? payload.detail : null,
      Array.isArray(payload.errors) ? (payload.errors as FieldError[]) : [],
      payload,
    );
  }
  return { data: payload as T, etag: response.headers.get("ETag") };
}

/** A version's XML (the latest without a number). */
export async function fetchXml(definitionId: string, version?: number): Promise<string> {
  const query = version ? `?version=${version}` : "";
  const response = await fetch(`${BASE}/process-definitions/${encodeURIComponent(definitionId)}/xml${query}`, {
    credentials: "same-origin",
    headers: { Accept: "application/xml" },
  });
  if (!response.ok) throw new ApiError(response.status, response.statusText, null, []);
  return response.text();
}

export function xmlUrl(definitionId: string, version: number): string {
  return `${BASE}/process-definitions/${encodeURIComponent(definitionId)}/xml?version=${version}`;
}

/** Whether a version can be started by hand: it has a none start event. */
export function startsByHand(version: Pick<Version, "triggers"> | undefined): boolean {
  return !!version?.triggers.some((trigger) => trigger.kind === "manual");
}

/** The record type the API speaks of for an entity of the web app ("leads" → "lead"). */
export const RECORD_TYPE_OF: Record<string, string> = {
  leads: "lead",
  accounts: "account",
  contacts: "contact",
  opportunities: "opportunity",
  orders: "order",
  invoices: "invoice",
};

export const ENTITY_OF: Record<string, string> = Object.fromEntries(
  Object.entries(RECORD_TYPE_OF).map(([entity, type]) => [type, entity]),
);

/** The badge class for an instance's state. */
export function stateBadge(state: string): string {
  if (state === "failed") return "badge danger";
  if (state === "running" || state === "waiting") return "badge accent";
  return "badge";
}
