// The record pages whose records can be shared (`/api/v1/<entity>/{id}/shares`).
export const SHARED = new Set([
  "leads",
  "accounts",
  "contacts",
  "opportunities",
  "activities",
  "orders",
  "invoices",
]);

export type Access = "read" | "edit";

export interface Share {
  id: string;
  user_id: string | null;
  team_id: string | null;
  access: Access;
  created_by: string | null;
  created_at: string;
}
