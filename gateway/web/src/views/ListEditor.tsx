import { get, type FieldError } from "../core/api";
import { useT } from "../i18n";
import { ICONS, Icon } from "../shell/Icon";
import { LookupPicker } from "./LookupPicker";

type Item = Record<string, unknown>;

const KINDS: Record<string, string[]> = {
  email: ["work", "personal", "other"],
  phone: ["work", "mobile", "home", "other"],
  address: ["billing", "shipping", "office", "other"],
};
const ADDRESS_PARTS = ["street", "city", "region", "postcode", "country"];
const LINE_PARTS = ["product_id", "quantity", "price", "discount"];

interface Props {
  name: string;
  /** address, email, phone or line */
  kind: string;
  label: string;
  value: unknown;
  errors: FieldError[];
  onChange: (value: Item[]) => void;
  /** The record's currency: a product's list price fills a line only in it. */
  currency?: string | null;
}

/** A small editor for a list of typed entries: emails, phones (one primary), addresses, product lines. */
export function ListEditor({ name, kind, label, value, errors, onChange, currency }: Props) {
  const t = useT();
  const items: Item[] = Array.isArray(value) ? (value as Item[]) : [];
  const set = (index: number, patch: Item) => onChange(items.map((item, i) => (i === index ? { ...item, ...patch } : item)));
  const remove = (index: number) => {
    const next = items.filter((_, i) => i !== index);
    // The list keeps a primary entry when it had one.
    if (items[index]?.is_primary && next.length && (kind === "email" || kind === "phone")) next[0] = { ...next[0], is_primary: true };
    onChange(next);
  };
  const add = () => {
    const fresh: Item =
      kind === "address"
        ? { kind: "office", street: "", city: "", region: "", postcode: "", country: "" }
        : kind === "line"
          ? { product_id: "", quantity: "1", price: "" }
          : kind === "participant"
            ? { type: "contact", id: "" }
          : { [kind]: "", kind: KINDS[kind][0], is_primary: items.length === 0 };
    onChange([...items, fresh]);
  };
  const chooseProduct = async (index: number, productId: string | null) => {
    const patch: Item = { product_id: productId ?? "" };
    if (productId && !String(items[index]?.price ?? "").trim()) {
      try {
        const product = await get<Item>(`/products/${encodeURIComponent(productId)}`);
        const sameCurrency = !currency || !product.currency || product.currency === currency;
        if (product.price !== null && product.price !== undefined && sameCurrency) patch.price = String(product.price);
      } catch {
        // no price to offer: the user types one
      }
    }
    set(index, patch);
  };
  const makePrimary = (index: number) => onChange(items.map((item, i) => ({ ...item, is_primary: i === index })));
  const rowErrors = (index: number) =>
    errors.filter((e) => e.field.startsWith(`${name}[${index}]`)).map((e) => `${partLabel(e.field.split(".").pop() ?? "")}: ${e.message}`);
  const partLabel = (part: string) => (t.has(`list.part.${part}`) ? t(`list.part.${part}`) : part);
  const listErrors = errors.filter((e) => e.field === name).map((e) => e.message);

  return (
    <fieldset className={`list-editor${errors.length ? " invalid" : ""}`} data-field={name} data-list={kind}>
      <legend className="field-label">{label}</legend>
      {items.length === 0 && <p className="muted small">{t("list.none")}</p>}
      <ul>
        {items.map((item, index) => (
          <li key={index} className="list-row" data-row={index}>
            {kind in KINDS && (
              <label>
                <span className="visually-hidden">{t("list.kindOf", { n: index + 1 })}</span>
                <select value={String(item.kind ?? "")} onChange={(e) => set(index, { kind: e.target.value })}>
                  {KINDS[kind].map((k) => (
                    <option key={k} value={k}>
                      {t(`list.kind.${k}`)}
                    </option>
                  ))}
                </select>
              </label>
            )}
            {(kind === "email" || kind === "phone") && (
              <>
                <label className="grow">
                  <span className="visually-hidden">{t(kind === "email" ? "list.emailN" : "list.phoneN", { n: index + 1 })}</span>
                  <input
                    type={kind === "email" ? "email" : "tel"}
                    value={String(item[kind] ?? "")}
                    autoComplete="off"
                    aria-invalid={rowErrors(index).length ? true : undefined}
                    onChange={(e) => set(index, { [kind]: e.target.value })}
                  />
                </label>
                <label className="check primary-choice">
                  <input type="radio" name={`${name}-primary`} checked={Boolean(item.is_primary)} onChange={() => makePrimary(index)} />
                  {t("list.primary")}
                </label>
              </>
            )}
            {kind === "participant" && (
              <>
                <label>
                  <span className="visually-hidden">{t("list.kindOf", { n: index + 1 })}</span>
                  <select value={String(item.type ?? "contact")} onChange={(e) => set(index, { type: e.target.value, id: "" })}>
                    <option value="contact">{t("list.kind.contact")}</option>
                    <option value="user">{t("list.kind.user")}</option>
                  </select>
                </label>
                <label className="grow">
                  <span className="visually-hidden">{t("list.participantN", { n: index + 1 })}</span>
                  <LookupPicker
                    key={String(item.type)}
                    lookup={item.type === "user" ? "users" : "contacts"}
                    value={typeof item.id === "string" && item.id ? item.id : null}
                    onChange={(id) => set(index, { id: id ?? "" })}
                  />
                </label>
              </>
            )}
            {(kind === "address" || kind === "line") &&
              (kind === "address" ? ADDRESS_PARTS : LINE_PARTS).map((part) =>
                kind === "line" && part === "product_id" ? (
                  // a product chosen by its code and name; its list price fills an empty price
                  <label key={part} className="grow">
                    <span className="visually-hidden">{`${partLabel(part)} ${index + 1}`}</span>
                    <LookupPicker
                      lookup="products"
                      name={`${name}-${index}-product`}
                      value={typeof item.product_id === "string" && item.product_id ? item.product_id : null}
                      onChange={(id) => void chooseProduct(index, id)}
                    />
                  </label>
                ) : (
                <label key={part} className={part === "street" ? "grow" : undefined}>
                  <span className="visually-hidden">{`${partLabel(part)} ${index + 1}`}</span>
                  <input
                    type="text"
                    inputMode={part === "quantity" || part === "price" || part === "discount" ? "decimal" : undefined}
                    placeholder={partLabel(part)}
                    value={String(item[part] ?? "")}
                    onChange={(e) => set(index, { [part]: e.target.value })}
                  />
                </label>
                ),
              )}
            <button type="button" className="icon-button" aria-label={t("list.remove", { n: index + 1 })} onClick={() => remove(index)}>
              <Icon path={ICONS.trash} size={16} />
            </button>
            {rowErrors(index).length > 0 && <p className="field-error">{rowErrors(index).join(" ")}</p>}
          </li>
        ))}
      </ul>
      <button type="button" className="button ghost small" onClick={add}>
        <Icon path={ICONS.plus} size={14} />
        {t(`list.add.${kind}`)}
      </button>
      {listErrors.length > 0 && <p className="field-error">{listErrors.join(" ")}</p>}
    </fieldset>
  );
}
