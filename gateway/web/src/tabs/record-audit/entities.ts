// The record pages' entities (meta/entities names) and the audit trail's name for each.
export const AUDITED: Record<string, string> = {
  leads: "lead",
  accounts: "account",
  contacts: "contact",
  opportunities: "opportunity",
  activities: "activity",
  orders: "order",
  invoices: "invoice",
  products: "product",
};

export interface AuditEntry {
  id: string;
  entity: string;
  record_id: string;
  version: number | null;
  action: string;
  event: string;
  actor: { id: string | null; email: string | null } | null;
  at: string;
  source: string;
  changes: Record<string, [unknown, unknown]>;
  old_known: boolean;
}

export interface AuditPage {
  items: AuditEntry[];
  next_cursor: string | null;
}
