// Names of linked records: a uuid field with `lookup` shows the record's name, not its id.
// Names are cached for the session; the ids a screen needs are gathered for a moment and
// then fetched, each distinct id once (a few at a time), so a page of 100 rows pointing
// at 20 accounts costs 20 small GETs the first time and none after.
import { useEffect, useSyncExternalStore } from "react";
import { ApiError, get } from "./api";
import type { EntityRecord } from "./meta";

export interface LookupDef {
  /** The API collection, e.g. "/accounts". */
  path: string;
  /** The record's name as people know it. */
  name: (record: Record<string, unknown>) => string;
  /** Where its record page is in the app (null: no page of its own). */
  route: string | null;
  /** A short list fetched whole once (stages, teams) rather than one by one. */
  whole?: boolean;
  /** Whether the list endpoint answers `q` (search-as-you-type in the picker). */
  searchable: boolean;
  /** Without `q`: the filter that finds records by what is typed (an order's number). */
  searchFilter?: string;
}

const text = (value: unknown) => (typeof value === "string" ? value : "");

export const LOOKUPS: Record<string, LookupDef> = {
  accounts: { path: "/accounts", name: (r) => text(r.name), route: "/accounts", searchable: true },
  contacts: { path: "/contacts", name: (r) => text(r.full_name), route: "/contacts", searchable: true },
  opportunities: { path: "/opportunities", name: (r) => text(r.title), route: "/opportunities", searchable: true },
  leads: {
    path: "/leads",
    name: (r) => text(r.contact_name) || text(r.account_name) || text(r.email) || text(r.phone),
    route: "/leads",
    searchable: true,
  },
  products: {
    path: "/products",
    name: (r) => (text(r.code) ? `${text(r.code)} — ${text(r.name)}` : text(r.name)),
    route: "/products",
    whole: true,
    searchable: false,
  },
  orders: { path: "/orders", name: (r) => text(r.number), route: "/orders", searchable: false, searchFilter: "number" },
  invoices: { path: "/invoices", name: (r) => text(r.number), route: "/invoices", searchable: false, searchFilter: "number" },
  activities: { path: "/activities", name: (r) => text(r.title), route: "/activities", searchable: false },
  users: { path: "/users", name: (r) => text(r.full_name) || text(r.email), route: null, searchable: true },
  teams: { path: "/teams", name: (r) => text(r.name), route: null, whole: true, searchable: false },
  "opportunity-stages": {
    path: "/opportunity-stages",
    name: (r) => text(r.name),
    route: null,
    whole: true,
    searchable: false,
  },
};

/** What a record page's entity is called as an activity's `related_type`, and back. */
export const RELATED_TYPE: Record<string, string> = {
  leads: "lead",
  contacts: "contact",
  accounts: "account",
  opportunities: "opportunity",
};
export const RELATED_LOOKUP: Record<string, string> = {
  lead: "leads",
  contact: "contacts",
  account: "accounts",
  opportunity: "opportunities",
};

/** What a uuid field's name says it points at, when its metadata does not (the leads
 * service describes `owner_id`, `contact_id`… without a `lookup`). */
const BY_NAME: Record<string, string> = {
  owner_id: "users",
  created_by: "users",
  team_id: "teams",
  contact_id: "contacts",
  account_id: "accounts",
  opportunity_id: "opportunities",
  lead_id: "leads",
};

/** The entity a field points at: its `lookup`, or for an activity's `related_id` its
 * `related_type`'s, or for a uuid field without one what its name says. */
export function lookupOf(
  field: { name: string; lookup?: string | null; type?: string } | undefined,
  record?: Record<string, unknown> | null,
): string | null {
  if (!field) return null;
  if (field.lookup) return field.lookup;
  if (field.name === "related_id" && typeof record?.related_type === "string") return RELATED_LOOKUP[record.related_type] ?? null;
  if (field.type === "uuid" && BY_NAME[field.name]) return BY_NAME[field.name];
  return null;
}

/** id → name; null when the record is gone or hidden from the user. */
const names = new Map<string, string | null>();
const pending = new Set<string>();
const queued = new Map<string, Set<string>>();
const wholeLoaded = new Map<string, Promise<void>>();
const listeners = new Set<() => void>();
let version = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
const PARALLEL = 6;

const key = (entity: string, id: string) => `${entity}:${id}`;

function changed(): void {
  version += 1;
  listeners.forEach((listener) => listener());
}

/** Remember names from records already at hand (a list page, a picker's results). */
export function rememberNames(entity: string, records: Array<Record<string, unknown> & { id?: unknown }>): void {
  const def = LOOKUPS[entity];
  if (!def) return;
  let any = false;
  for (const record of records) {
    if (typeof record.id !== "string") continue;
    const name = def.name(record);
    if (name && names.get(key(entity, record.id)) !== name) {
      names.set(key(entity, record.id), name);
      any = true;
    }
  }
  if (any) changed();
}

export function rememberName(entity: string, id: string, name: string | null | undefined): void {
  if (!name || names.get(key(entity, id)) === name) return;
  names.set(key(entity, id), name);
  changed();
}

/** The cached name: a string, null (gone or hidden), or undefined (not known yet). */
export function cachedName(entity: string, id: string): string | null | undefined {
  return names.get(key(entity, id));
}

/** Ask for names; they arrive in the cache (and every `useLookupName` re-renders). */
export function requestNames(entity: string, ids: Iterable<string>): void {
  const def = LOOKUPS[entity];
  if (!def) return;
  if (def.whole) {
    void loadWhole(entity, def);
    return;
  }
  let added = false;
  for (const id of ids) {
    const k = key(entity, id);
    if (!id || names.has(k) || pending.has(k)) continue;
    pending.add(k);
    if (!queued.has(entity)) queued.set(entity, new Set());
    queued.get(entity)!.add(id);
    added = true;
  }
  if (added && timer === null) timer = setTimeout(flush, 0);
}

function loadWhole(entity: string, def: LookupDef): Promise<void> {
  let loading = wholeLoaded.get(entity);
  if (!loading) {
    loading = get<{ items: EntityRecord[] }>(def.path).then(
      (body) => {
        for (const item of body.items ?? []) names.set(key(entity, item.id), def.name(item) || null);
        changed();
      },
      () => {
        wholeLoaded.delete(entity);
      },
    );
    wholeLoaded.set(entity, loading);
  }
  return loading;
}

async function flush(): Promise<void> {
  timer = null;
  const work: Array<[string, string]> = [];
  for (const [entity, ids] of queued) for (const id of ids) work.push([entity, id]);
  queued.clear();
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const [entity, id] = work[next++];
      const def = LOOKUPS[entity];
      try {
        const record = await get<Record<string, unknown>>(`${def.path}/${encodeURIComponent(id)}`);
        names.set(key(entity, id), def.name(record) || null);
      } catch (error) {
        // Gone, hidden or not a valid id: show the short id. A network failure is retried later.
        if (error instanceof ApiError && error.status > 0) names.set(key(entity, id), null);
      } finally {
        pending.delete(key(entity, id));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, work.length) }, worker));
  changed();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** Re-render when any name arrives. */
export function useNamesVersion(): number {
  return useSyncExternalStore(subscribe, () => version);
}

/** The name of one linked record (asked for if not cached). */
export function useLookupName(entity: string | null | undefined, id: string | null | undefined): string | null | undefined {
  useNamesVersion();
  useEffect(() => {
    if (entity && id) requestNames(entity, [id]);
  }, [entity, id]);
  if (!entity || !id) return undefined;
  return cachedName(entity, id);
}

/** Every record of a short list (stages, teams), loaded once. */
export function useWholeList(entity: string): Array<{ id: string; name: string }> {
  useNamesVersion();
  const def = LOOKUPS[entity];
  useEffect(() => {
    if (def?.whole) void loadWhole(entity, def);
  }, [entity, def]);
  const prefix = `${entity}:`;
  const out: Array<{ id: string; name: string }> = [];
  for (const [k, name] of names) if (k.startsWith(prefix) && name) out.push({ id: k.slice(prefix.length), name });
  return out;
}

/** Search a lookup's records by name (the picker). */
export async function searchLookup(
  entity: string,
  query: string,
  signal?: AbortSignal,
): Promise<Array<{ id: string; name: string; record: EntityRecord }>> {
  const def = LOOKUPS[entity];
  if (!def) return [];
  const params = new URLSearchParams({ limit: "10" });
  if (query.trim()) params.set(def.searchable || !def.searchFilter ? "q" : `filter[${def.searchFilter}]`, query.trim());
  const body = await get<{ items: EntityRecord[] }>(`${def.path}?${params.toString()}`, signal);
  const items = body.items ?? [];
  rememberNames(entity, items);
  return items.map((record) => ({ id: record.id, name: def.name(record) || record.id.slice(0, 8), record }));
}

/** Forget every name (signing out: another user may see other records). */
export function forgetNames(): void {
  names.clear();
  wholeLoaded.clear();
  changed();
}
