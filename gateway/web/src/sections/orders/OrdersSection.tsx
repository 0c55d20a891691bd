import { useEffect, useState } from "react";
import { ApiError, request } from "../../core/api";
import type { EntityRecord } from "../../core/meta";
import type { SectionProps } from "../../core/registry";
import { navigate } from "../../core/router";
import { useT } from "../../i18n";
import { ActionBar, type Action } from "../../views/ActionBar";
import { EntityList } from "../../views/EntityList";
import { RecordPage } from "../../views/RecordPage";
import type { EntityConfig, RecordPartProps } from "../../views/config";

const PATH = ["draft", "confirmed", "in_progress", "shipped", "completed"];
const is = (...statuses: string[]) => (record: EntityRecord) => statuses.includes(String(record.status));

export const ORDER_ACTIONS: Action[] = [
  { verb: "confirm", labelKey: "orders.action.confirm", primary: true, when: is("draft") },
  { verb: "start", labelKey: "orders.action.start", primary: true, when: is("confirmed") },
  { verb: "ship", labelKey: "orders.action.ship", primary: true, when: is("in_progress") },
  { verb: "complete", labelKey: "orders.action.complete", primary: true, when: is("shipped") },
  {
    // Send the reservation to the accounting system again (docs/accounting.md).
    verb: "reserve",
    labelKey: "orders.action.reserve",
    when: (record) =>
      ["confirmed", "in_progress"].includes(String(record.status)) &&
      ["not_sent", "rejected", "waiting"].includes(String(record.accounting_status ?? "not_sent")),
  },
  {
    verb: "cancel",
    labelKey: "orders.action.cancel",
    danger: true,
    ask: { name: "reason", labelKey: "orders.cancel.reason", titleKey: "orders.cancel.title", required: false, kind: "text" },
    when: is("draft", "confirmed", "in_progress"),
  },
];

const ACCOUNTING_TONE: Record<string, string> = { reserved: "accent", shipped: "accent", rejected: "danger" };
/** How often an order waiting for the accounting system is looked at again. */
const WAITING_POLL_MS = 2000;

/** Where the order stands with the accounting system; looked up again while it waits. */
function AccountingStatus({ record, onRecord }: RecordPartProps) {
  const t = useT();
  const status = String(record.accounting_status ?? "not_sent");
  useEffect(() => {
    if (status !== "waiting") return;
    let stopped = false;
    const timer = window.setInterval(() => {
      request<EntityRecord>(`/orders/${encodeURIComponent(record.id)}`).then(
        (response) => {
          if (!stopped && response.data.accounting_status !== "waiting") onRecord(response.data, response.etag);
        },
        () => undefined, // the next tick tries again
      );
    }, WAITING_POLL_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [status, record.id, onRecord]);
  if (status === "not_sent") return null;
  const label =
    status === "rejected"
      ? t("orders.accounting.rejected", { reason: String(record.accounting_note || "—") })
      : t(`orders.accounting.${status}`);
  return (
    <p className="accounting-status" data-accounting-status={status}>
      <span className="muted small">{t("orders.accounting.label")}: </span>
      <span className={`badge ${ACCOUNTING_TONE[status] ?? ""}`} role="status">
        {label}
      </span>
      {status === "shipped" && record.accounting_note ? (
        <span className="muted small"> {String(record.accounting_note)}</span>
      ) : null}
    </p>
  );
}

function OrderStatusBar(props: RecordPartProps) {
  const t = useT();
  const [problem, setProblem] = useState<string | null>(null);
  const invoice = async () => {
    setProblem(null);
    try {
      const response = await request<EntityRecord>("/invoices", { method: "POST", body: { order_id: props.record.id } });
      navigate(`/invoices/${encodeURIComponent(response.data.id)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      setProblem(error instanceof ApiError ? error.errors.map((e) => e.message).join("; ") || error.message : String(error));
    }
  };
  const status = String(props.record.status);
  return (
    <>
      <ActionBar
        {...props}
        path={PATH}
        outcomes={["cancelled"]}
        actions={ORDER_ACTIONS}
        note={(record) =>
          record.status === "cancelled"
            ? t("orders.note.cancelled", { reason: String(record.cancel_reason || "—") })
            : t(`orders.note.${String(record.status)}`)
        }
      />
      <AccountingStatus {...props} />
      {["confirmed", "in_progress", "shipped", "completed"].includes(status) && (
        <div className="record-extra-actions">
          <button type="button" className="button small" data-action="invoice" onClick={() => void invoice()}>
            {t("orders.action.invoice")}
          </button>
          {problem && (
            <span className="form-error" role="alert">
              {problem}
            </span>
          )}
        </div>
      )}
    </>
  );
}

export const ORDERS: EntityConfig = {
  entity: "orders",
  section: "orders",
  basePath: "/orders",
  titleKey: "section.orders",
  newKey: "orders.new",
  countKey: "orders.count",
  defaultSort: "-created_at",
  defaultColumns: [
    { name: "number", width: 140 },
    { name: "account_id", width: 220 },
    { name: "status", width: 130 },
    { name: "total", width: 150 },
    { name: "owner_id", width: 160 },
    { name: "created_at", width: 170 },
  ],
  views: [
    { id: "all", labelKey: "orders.view.all", params: "" },
    { id: "mine", labelKey: "orders.view.mine", params: "f.owner_id=me" },
    { id: "drafts", labelKey: "orders.view.drafts", params: "f.status=draft" },
    { id: "open", labelKey: "orders.view.open", params: "f.status=confirmed,in_progress,shipped" },
    { id: "waiting", labelKey: "orders.view.waiting", params: "f.accounting_status=waiting" },
  ],
  title: (order) => String(order.number ?? ""),
  headerFields: ["account_id", "opportunity_id", "subtotal", "discount_total", "tax_total", "total", "owner_id"],
  StageBarPart: OrderStatusBar,
  readOnly: (order) => order.status !== "draft",
  noDelete: true,
  groups: [
    { titleKey: "orders.group.customer", fields: ["account_id", "contact_id", "opportunity_id", "currency"] },
    { titleKey: "orders.group.lines", fields: ["lines"] },
    { titleKey: "orders.group.more", fields: ["notes", "owner_id", "team_id"] },
  ],
};

export default function OrdersSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <EntityList config={ORDERS} />;
  return <RecordPage key={subpath[0]} config={ORDERS} id={subpath[0]} />;
}
