// An order's lines (`list` fields whose items are `order_line`): product, quantity,
// price, discount %, tax %, with each line's total and the order's totals computed as
// the orders service does (`lineTotals.ts`); read-only once the order left its draft.
// A role whose column rights hide products' price (tax rate), or make it read-only,
// gets no price (tax) input and never sends it: the orders service takes the price
// list's (docs/architecture.md, "Access rights"); the lines as read show no hidden one.
// A read-only price (tax rate) is shown, not sent: the editor keeps it beside the lines
// it sends (the product's price in the order's currency for a new line, the order's
// for a line it had) and shows each line's total and the order's totals live as the
// user edits the quantity and the discount. A hidden one hides the line's amounts too
// (they are worked out from it; the orders service leaves them out) and so any total.
import { useEffect, useState } from "react";
import type { FieldError } from "../core/api";
import { get } from "../core/api";
import { rememberNames } from "../core/lookup";
import { loadEntities, type EntityRecord } from "../core/meta";
import { useT } from "../i18n";
import { ICONS, Icon } from "../shell/Icon";
import { LookupValue } from "./Value";
import { formatMoney, formatPercent } from "./format";
import { lineAmounts, minorDigits, orderTotals, unitsText, type OrderTotals } from "./lineTotals";

type Line = Record<string, unknown>;
const SENT = ["product_id", "quantity", "price", "discount", "tax_rate"] as const;
/** The line's fields that repeat a product's field, whose column rights they follow. */
const FROM_PRODUCT = ["price", "tax_rate"] as const;

/** What the signed-in user's role lets them do with a line's price and tax rate. */
export interface LineRights {
  /** not shown (products hide the field) */
  hidden: ReadonlySet<string>;
  /** not sent (hidden, or read-only for the role): the orders service sets it */
  fixed: ReadonlySet<string>;
}

const ALL_RIGHTS: LineRights = { hidden: new Set(), fixed: new Set() };

/** The line rights from products' permissions in `meta/entities`. */
export function useLineRights(): LineRights {
  const [rights, setRights] = useState<LineRights>(ALL_RIGHTS);
  useEffect(() => {
    let live = true;
    loadEntities().then(
      (entities) => {
        const permissions = entities.products?.permissions;
        if (!live || !permissions) return;
        const hidden = new Set<string>(FROM_PRODUCT.filter((f) => permissions.hidden.includes(f)));
        const fixed = new Set<string>(FROM_PRODUCT.filter((f) => hidden.has(f) || permissions.read_only.includes(f)));
        if (fixed.size) setRights({ hidden, fixed });
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return rights;
}

/** A line as the API takes it (the server's computed amounts left out, and the fields
 * the role may not set). */
function sendable(line: Line, fixed: ReadonlySet<string>): Line {
  return Object.fromEntries(
    SENT.filter((key) => !fixed.has(key)).map((key) => [key, line[key] ?? (key === "discount" || key === "tax_rate" ? "0" : "")]),
  );
}

let productsPromise: Promise<EntityRecord[]> | null = null;

/** The active products (with their default price), read once per page visit. */
function useProducts(): EntityRecord[] {
  const [items, setItems] = useState<EntityRecord[]>([]);
  useEffect(() => {
    productsPromise = get<{ items: EntityRecord[] }>("/products?filter[is_active]=true&limit=100").then((body) => body.items ?? []);
    let live = true;
    productsPromise.then(
      (list) => {
        rememberNames("products", list);
        if (live) setItems(list);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return items;
}

interface EditorProps {
  name: string;
  label: string;
  value: unknown;
  /** The order as edited (its currency prices the lines). */
  record?: Record<string, unknown>;
  errors: FieldError[];
  onChange: (value: Line[]) => void;
}

export function OrderLinesEditor({ name, label, value, record, errors, onChange }: EditorProps) {
  const t = useT();
  const products = useProducts();
  const { hidden, fixed } = useLineRights();
  // the read-only (shown, not sent) price and tax rate of each line, by position
  const [shown, setShown] = useState<Line[]>([]);
  const currency = typeof record?.currency === "string" ? record.currency : null;
  const readOnly = FROM_PRODUCT.filter((key) => fixed.has(key) && !hidden.has(key));
  // the lines as shown: as sent, with what the role reads but may not send (a saved
  // order's lines carry it; a line edited since keeps it in `shown`)
  const lines: Line[] = (Array.isArray(value) ? (value as Line[]) : []).map((line, i) => {
    const kept = shown[i];
    const missing = readOnly.filter((key) => (line[key] === undefined || line[key] === null || line[key] === "") && kept?.[key] !== undefined);
    return missing.length ? { ...line, ...Object.fromEntries(missing.map((key) => [key, kept[key]])) } : line;
  });
  const emit = (next: Line[]) => {
    if (readOnly.length) setShown(next.map((line) => Object.fromEntries(readOnly.map((key) => [key, line[key] ?? ""]))));
    onChange(next.map((line) => sendable(line, fixed)));
  };
  const set = (index: number, patch: Line) => emit(lines.map((line, i) => (i === index ? { ...line, ...patch } : line)));
  const choose = (index: number, productId: string) => {
    const product = products.find((p) => p.id === productId);
    const patch: Line = { product_id: productId };
    // the product's price (in the order's currency) and tax rate, also where they are
    // read-only (shown, as the orders service will take them, but not sent)
    if (product && !hidden.has("price")) {
      // a read-only price: the order's for a product it has (the service keeps it)
      const kept = fixed.has("price") ? lines.find((line, i) => i !== index && line.product_id === productId && line.price)?.price : undefined;
      const listed = product.price && (!currency || product.currency === currency) ? product.price : undefined;
      patch.price = kept ?? listed ?? (fixed.has("price") ? "" : lines[index]?.price);
    }
    if (product && !hidden.has("tax_rate")) {
      if (product.tax_rate !== null && product.tax_rate !== undefined) patch.tax_rate = product.tax_rate;
    }
    set(index, patch);
  };
  // a field the role may not set has no input; a read-only one is shown as text
  const editable = (["quantity", "price", "discount", "tax_rate"] as const).filter((key) => !fixed.has(key));
  const columns = (["quantity", "price", "discount", "tax_rate"] as const).filter((key) => !hidden.has(key));
  // the amounts are worked out from the price and the rate: none while one is hidden
  const live = hidden.size === 0;
  const rowErrors = (index: number) =>
    errors
      .filter((e) => e.field.startsWith(`${name}[${index}]`))
      .map((e) => {
        const part = e.field.split(".").pop() ?? "";
        return `${t.has(`lines.${part}`) ? t(`lines.${part}`) : part}: ${e.message}`;
      });
  const listErrors = errors.filter((e) => e.field === name).map((e) => e.message);
  const totals = live ? orderTotals(lines, currency) : null;

  return (
    <fieldset className={`list-editor order-lines${errors.length ? " invalid" : ""}`} data-field={name} data-list="order_line">
      <legend className="field-label">{label}</legend>
      {lines.length === 0 && <p className="muted small">{t("lines.none")}</p>}
      {fixed.has("price") && (
        <p className="muted small" data-note="price-list">
          {t(hidden.has("price") ? "lines.priceList" : "lines.priceReadOnly")}
        </p>
      )}
      {lines.length > 0 && (
        <table className="lines-table">
          <thead>
            <tr>
              <th>{t("lines.product_id")}</th>
              {columns.map((key) => (
                <th key={key}>{t(`lines.${key}`)}</th>
              ))}
              {live && <th className="num">{t("lines.total")}</th>}
              <th />
            </tr>
          </thead>
          <tbody>
            {lines.map((line, index) => {
              const amounts = lineAmounts(line, currency);
              const problems = rowErrors(index);
              const text = (key: string) => (line[key] === null || line[key] === undefined ? "" : String(line[key]));
              const decimal = (key: string, v: string) => set(index, { [key]: v.replace(/\s/g, "").replace(",", ".").replace("%", "") });
              return (
                <tr key={index} data-row={index} className={problems.length ? "invalid" : undefined}>
                  <td>
                    <select
                      aria-label={t("lines.productN", { n: index + 1 })}
                      value={text("product_id")}
                      onChange={(e) => choose(index, e.target.value)}
                      data-part="product_id"
                    >
                      <option value="">{t("lines.pick")}</option>
                      {text("product_id") && !products.some((p) => p.id === line.product_id) && (
                        <option value={text("product_id")}>{text("product_id").slice(0, 8)}</option>
                      )}
                      {products.map((product) => (
                        <option key={product.id} value={product.id}>
                          {`${String(product.code ?? "")} — ${String(product.name ?? "")}`}
                        </option>
                      ))}
                    </select>
                    {problems.length > 0 && <p className="field-error">{problems.join(" ")}</p>}
                  </td>
                  {columns.map((key) =>
                    !editable.includes(key) ? (
                      <td key={key} className="num" data-part={key} data-read-only="true">
                        {text(key) === "" ? "—" : key === "tax_rate" ? formatPercent(t.locale, text(key)) : formatMoney(t.locale, text(key), currency)}
                      </td>
                    ) : (
                    <td key={key}>
                      <input
                        type="text"
                        inputMode="decimal"
                        autoComplete="off"
                        className="narrow"
                        data-part={key}
                        aria-label={`${t(`lines.${key}`)} ${index + 1}`}
                        placeholder={key === "quantity" ? "1" : "0"}
                        value={text(key)}
                        onChange={(e) => decimal(key, e.target.value)}
                      />
                    </td>
                    ),
                  )}
                  {live && (
                    <td className="num" data-part="total">
                      {amounts ? formatMoney(t.locale, unitsText(amounts.total, minorDigits(currency)), currency) : "—"}
                    </td>
                  )}
                  <td>
                    <button type="button" className="icon-button" aria-label={t("lines.remove", { n: index + 1 })} onClick={() => emit(lines.filter((_, i) => i !== index))}>
                      <Icon path={ICONS.trash} size={16} />
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <button type="button" className="button ghost small" onClick={() => emit([...lines, { product_id: "", quantity: "1", price: "", discount: "0", tax_rate: "0" }])}>
        <Icon path={ICONS.plus} size={14} />
        {t("lines.add")}
      </button>
      {totals && lines.length > 0 && <TotalsView totals={totals} currency={currency} live />}
      {listErrors.length > 0 && <p className="field-error">{listErrors.join(" ")}</p>}
    </fieldset>
  );
}

/** The order's totals: subtotal, discount, tax, total. */
export function TotalsView({ totals, currency, live = false }: { totals: { [key: string]: unknown } | OrderTotals; currency: string | null; live?: boolean }) {
  const t = useT();
  return (
    <dl className="order-totals" data-totals={live ? "live" : "saved"}>
      {(["subtotal", "discount_total", "tax_total", "total"] as const).map((key) => (
        <div key={key} data-total={key}>
          <dt>{t(`lines.sum.${key}`)}</dt>
          <dd>{formatMoney(t.locale, String((totals as Record<string, unknown>)[key] ?? "0"), currency)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The lines as read (an order past its draft), with the server's amounts (no line
 * total where the role hides the price or the tax rate it is worked out from). */
export function OrderLinesView({ record }: { record: EntityRecord }) {
  const t = useT();
  const { hidden } = useLineRights();
  const lines: Line[] = Array.isArray(record.lines) ? (record.lines as Line[]) : [];
  const currency = typeof record.currency === "string" ? record.currency : null;
  const money = (v: unknown) => formatMoney(t.locale, v === null || v === undefined ? "" : String(v), currency);
  if (!lines.length) return <p className="muted small">{t("lines.none")}</p>;
  return (
    <table className="lines-table" data-list="order_line">
      <thead>
        <tr>
          <th>{t("lines.product_id")}</th>
          <th className="num">{t("lines.quantity")}</th>
          {!hidden.has("price") && <th className="num">{t("lines.price")}</th>}
          <th className="num">{t("lines.discount")}</th>
          {!hidden.has("tax_rate") && <th className="num">{t("lines.tax_rate")}</th>}
          {!hidden.size && <th className="num">{t("lines.total")}</th>}
        </tr>
      </thead>
      <tbody>
        {lines.map((line, index) => (
          <tr key={index} data-row={index}>
            <td>{typeof line.product_id === "string" ? <LookupValue lookup="products" id={line.product_id} /> : "—"}</td>
            <td className="num">{t.number(Number(line.quantity))}</td>
            {!hidden.has("price") && <td className="num">{money(line.price)}</td>}
            <td className="num">{formatPercent(t.locale, line.discount)}</td>
            {!hidden.has("tax_rate") && <td className="num">{formatPercent(t.locale, line.tax_rate)}</td>}
            {!hidden.size && <td className="num" data-part="total">{money(line.total)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
