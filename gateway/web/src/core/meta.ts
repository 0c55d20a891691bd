// Entity metadata from GET /meta/entities: fetched once per session, shared by every view.
import { get } from "./api";
import type { LookupKind } from "./lookups";

export type FieldType =
  | "string"
  | "email"
  | "phone"
  | "enum"
  | "uuid"
  | "integer"
  | "datetime"
  | "date"
  | "text"
  | "boolean"
  | "money"
  | "percent"
  | "currency"
  | "list";

export interface FieldMeta {
  name: string;
  type: FieldType;
  label: string;
  required: boolean;
  read_only: boolean;
  options: string[] | null;
  filterable: boolean;
  /** how the list filters it: equals (any of), contains (substring), range (from..to) */
  filter_op?: "equals" | "contains" | "range" | null;
  sortable: boolean;
  max_length?: number | null;
  /** for `list` fields: the kind of item (address, email, phone, line) */
  items?: string | null;
  /** for `integer` fields: the range accepted */
  minimum?: number | null;
  maximum?: number | null;
  /** for `uuid` fields that point at a record: the entity (accounts, users, …) */
  lookup?: string | null;
  /** for text fields: the lookup list whose codes are offered as you type (any text stays allowed) */
  suggestions?: LookupKind | null;
}

/** A filter the list takes that is no field of the record (leads: `reached_stage`). */
export interface ListFilterMeta {
  name: string;
  type: FieldType;
  label: string;
  options: string[] | null;
  /** the field whose options these are (their labels are that field's) */
  options_field?: string | null;
  filter_op?: "equals" | "contains" | "range" | null;
}

/** What the signed-in user may do with an entity (their roles' rights, merged). */
export interface EntityPermissions {
  create: boolean;
  read: boolean;
  update: boolean;
  delete: boolean;
  export: boolean;
  read_scope: "own" | "team" | "all";
  write_scope: "own" | "team" | "all";
  /** left out of `fields` already */
  hidden: string[];
  /** marked `read_only` in `fields` already */
  read_only: string[];
}

export interface EntityMeta {
  name: string;
  label: string;
  label_singular?: string;
  required_one_of?: string[];
  fields: FieldMeta[];
  /** Filters that are no field of the record. */
  filters?: ListFilterMeta[];
  /** the caller's rights on the entity (absent: everything, as before rights were set) */
  permissions?: EntityPermissions;
}

export type Operation = "create" | "read" | "update" | "delete" | "export";

/** Whether the caller may do `op` with the entity (the gateway enforces it too). */
export function may(entity: EntityMeta | null | undefined, op: Operation): boolean {
  return entity?.permissions ? entity.permissions[op] : true;
}

export type EntityRecord = Record<string, unknown> & { id: string; version?: number };

let pending: Promise<Record<string, EntityMeta>> | null = null;

export function loadEntities(): Promise<Record<string, EntityMeta>> {
  if (!pending) {
    pending = get<{ entities: Record<string, EntityMeta> }>("/meta/entities").then(
      (body) => body.entities,
      (error) => {
        pending = null;
        throw error;
      },
    );
  }
  return pending;
}

/** Forget the cached metadata (after signing out: another user may see other fields). */
export function forgetEntities(): void {
  pending = null;
}

export function fieldMap(entity: EntityMeta): Map<string, FieldMeta> {
  return new Map(entity.fields.map((f) => [f.name, f]));
}
