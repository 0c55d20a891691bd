import { useEffect, useState } from "react";
import { BASE } from "../../core/api";
import { loadEntities, type EntityRecord } from "../../core/meta";
import type { SectionProps } from "../../core/registry";
import { useT } from "../../i18n";
import { ActionBar, type Action } from "../../views/ActionBar";
import { EntityList } from "../../views/EntityList";
import { RecordPage } from "../../views/RecordPage";
import { formatMoney } from "../../views/format";
import { minorDigits, parseDecimal, unitsText } from "../../views/lineTotals";
import type { EntityConfig, RecordPartProps } from "../../views/config";

const is = (...statuses: string[]) => (record: EntityRecord) => statuses.includes(String(record.status));

const INVOICE_ACTIONS: Action[] = [
  { verb: "issue", labelKey: "invoices.action.issue", primary: true, when: is("draft") },
  {
    verb: "register-payment",
    labelKey: "invoices.action.pay",
    primary: true,
    ask: { name: "amount", labelKey: "invoices.pay.amount", titleKey: "invoices.pay.title", required: true, kind: "money" },
    when: is("issued", "overdue"),
  },
  {
    verb: "cancel",
    labelKey: "invoices.action.cancel",
    danger: true,
    ask: { name: "reason", labelKey: "invoices.cancel.reason", titleKey: "invoices.cancel.title", required: false, kind: "text" },
    when: is("draft", "issued", "overdue"),
  },
];

/** What is still owed: total − paid, exact. */
export function outstanding(record: EntityRecord): string | null {
  const currency = typeof record.currency === "string" ? record.currency : null;
  const digits = minorDigits(currency);
  const total = parseDecimal(record.total);
  const paid = parseDecimal(record.paid_amount ?? "0");
  if (!total || !paid) return null;
  const scale = (d: { units: bigint; scale: number }) => d.units * 10n ** BigInt(Math.max(0, digits - d.scale)) / 10n ** BigInt(Math.max(0, d.scale - digits));
  return unitsText(scale(total) - scale(paid), digits);
}

function InvoiceStatusBar(props: RecordPartProps) {
  const t = useT();
  return (
    <ActionBar
      {...props}
      path={["draft", "issued", "paid"]}
      outcomes={["overdue", "cancelled"]}
      actions={INVOICE_ACTIONS}
      note={(record) => {
        const currency = typeof record.currency === "string" ? record.currency : null;
        if (record.status === "cancelled") return t("invoices.note.cancelled", { reason: String(record.cancel_reason || "—") });
        if (record.status === "paid") return t("invoices.note.paid");
        if (record.status === "draft") return t("invoices.note.draft");
        return t("invoices.note.owed", { amount: formatMoney(t.locale, outstanding(record), currency) });
      }}
    />
  );
}

/** Whether the signed-in user's role may print an invoice of an order: it is sent to the
 * customer whole, so not where products hide the price or the tax rate its lines'
 * amounts come from (unless orders hide the lines, and so none are printed). */
function usePrintsLines(): boolean {
  const [prints, setPrints] = useState(true);
  useEffect(() => {
    let live = true;
    loadEntities().then(
      (entities) => {
        const products = entities.products?.permissions?.hidden ?? [];
        const orders = entities.orders?.permissions?.hidden ?? [];
        if (live) setPrints(orders.includes("lines") || !["price", "tax_rate"].some((f) => products.includes(f)));
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return prints;
}

/** The printable invoice: opens the PDF in a new tab, or saves it. */
function InvoicePdf({ record }: RecordPartProps) {
  const t = useT();
  const printsLines = usePrintsLines();
  if (!record.id) return null;
  if (record.order_id && !printsLines) {
    return (
      <span className="invoice-pdf muted small" data-part="invoice-pdf-refused">
        {t("invoices.pdf.refused")}
      </span>
    );
  }
  const url = `${BASE}/invoices/${encodeURIComponent(record.id)}/pdf`;
  const name = `${String(record.number ?? "invoice")}.pdf`;
  return (
    <span className="invoice-pdf">
      <a className="button small" href={url} target="_blank" rel="noopener" data-part="invoice-pdf">
        {t("invoices.pdf.open")}
      </a>
      <a className="button small ghost" href={`${url}?download=true`} download={name} data-part="invoice-pdf-download">
        {t("invoices.pdf.download")}
      </a>
    </span>
  );
}

export const INVOICES: EntityConfig = {
  entity: "invoices",
  section: "invoices",
  basePath: "/invoices",
  titleKey: "section.invoices",
  newKey: "invoices.new",
  countKey: "invoices.count",
  defaultSort: "-created_at",
  defaultColumns: [
    { name: "number", width: 170 },
    { name: "account_id", width: 220 },
    { name: "status", width: 120 },
    { name: "total", width: 140 },
    { name: "paid_amount", width: 140 },
    { name: "due_date", width: 130 },
  ],
  views: [
    { id: "all", labelKey: "invoices.view.all", params: "" },
    { id: "unpaid", labelKey: "invoices.view.unpaid", params: "f.status=issued,overdue" },
    { id: "overdue", labelKey: "invoices.view.overdue", params: "f.status=overdue" },
  ],
  title: (invoice) => String(invoice.number ?? ""),
  headerFields: ["account_id", "order_id", "total", "paid_amount", "due_date", "owner_id"],
  StageBarPart: InvoiceStatusBar,
  TitlePart: InvoicePdf,
  readOnly: (invoice) => invoice.status !== "draft",
  // an invoice of an order takes its money, currency and customer from the order's lines
  computedFields: (values) =>
    values.order_id ? { fields: ["currency", "total", "tax_total", "account_id"], noteKey: "invoices.computed" } : null,
  noDelete: true,
  groups: [
    { titleKey: "invoices.group.bill", fields: ["order_id", "account_id", "currency", "total", "tax_total", "due_date"] },
    { titleKey: "invoices.group.more", fields: ["notes", "owner_id", "team_id"] },
  ],
};

export default function InvoicesSection({ subpath }: SectionProps) {
  if (subpath.length === 0) return <EntityList config={INVOICES} />;
  return <RecordPage key={subpath[0]} config={INVOICES} id={subpath[0]} />;
}
