// Under a deal's amount: whether it follows the product lines (their total, discounts
// taken off) or was set by hand — and a button to make it follow them again.
import type { EntityRecord } from "../../core/meta";
import { useT } from "../../i18n";
import type { FieldNoteProps } from "../../views/config";
import { formatMoney } from "../../views/format";
import { lineAmounts, minorDigits, unitsText, type LineInput } from "../../views/lineTotals";

/** The lines' total as the server makes it; null while a line is incomplete. */
export function linesTotal(lines: LineInput[], currency: string | null): string | null {
  let total = 0n;
  for (const line of lines) {
    const amounts = lineAmounts({ ...line, tax_rate: null }, currency);
    if (!amounts) return null;
    total += amounts.net;
  }
  return unitsText(total, minorDigits(currency));
}

/** Whether the form's amount follows the lines: a typed amount is by hand, an emptied one
 * follows them; otherwise as the server said (a deal without lines yet follows). */
export function followsLines(record: EntityRecord | null, values: Record<string, unknown>): boolean {
  const typed = record ? values.amount !== record.amount : values.amount !== undefined && values.amount !== null && values.amount !== "";
  if (typed) return values.amount === null || values.amount === "";
  // a deal saved without lines takes their total once it has some
  const hadLines = !!record && Array.isArray(record.lines) && record.lines.length > 0;
  return hadLines ? record.amount_from_lines !== false : true;
}

export function AmountNote({ name, record, values, change }: FieldNoteProps) {
  const t = useT();
  if (name !== "amount") return null;
  const lines = Array.isArray(values.lines) ? (values.lines as LineInput[]) : [];
  if (!lines.length) return null;
  const currency = typeof values.currency === "string" && values.currency ? values.currency : null;
  const total = linesTotal(lines, currency);
  const shown = total === null ? "—" : formatMoney(t.locale, total, currency);
  const following = followsLines(record, values);
  return (
    <p className="field-note" data-part="amount-source" data-source={following ? "lines" : "hand"} role="status">
      {following ? t("opportunities.amount.fromLines", { total: shown }) : t("opportunities.amount.byHand", { total: shown })}
      {!following && (
        <button type="button" className="button ghost small" onClick={() => change("amount", null)}>
          {t("opportunities.amount.follow")}
        </button>
      )}
    </p>
  );
}
