// Price lists: every list with its currency and which one is the default (the price a
// product shows), and one list's prices — add a product found by code or name, change a
// price in place, take a product out. Sales managers and administrators change them;
// everybody else reads. Prices go to the API as the exact decimal text typed.
import { useCallback, useEffect, useId, useRef, useState } from "react";
import { ApiError, get, ifMatch, request } from "../../core/api";
import type { SectionProps } from "../../core/registry";
import { Link, navigate } from "../../core/router";
import { useSession } from "../../core/session";
import { useT } from "../../i18n";
import { ICONS, Icon } from "../../shell/Icon";
import { problemText } from "../../views/Dialog";
import { formatMoney } from "../../views/format";
import { isManager } from "../leads/process";
import { checkPrice } from "./price";

interface PriceList {
  id: string;
  name: string;
  currency: string;
  is_default: boolean;
  version: number;
}

interface Price {
  product_id: string;
  product_code: string | null;
  product_name: string | null;
  price: string;
  currency: string;
}

interface Product {
  id: string;
  code: string;
  name: string;
  is_active: boolean;
}

const listPath = (id: string) => `/price-lists/${encodeURIComponent(id)}`;

function useExplain() {
  const t = useT();
  return (error: unknown) => {
    if (error instanceof ApiError && error.status === 409 && !error.errors.length) return t("record.conflict");
    if (error instanceof ApiError && error.status === 403) return t("error.forbiddenChange");
    return problemText(error, t("error.saveFailedRecord"));
  };
}

function Banner({ text }: { text: string | null }) {
  return text ? (
    <p className="banner danger" role="alert">
      {text}
    </p>
  ) : null;
}

export default function PriceListsSection({ subpath }: SectionProps) {
  return subpath.length ? <PriceListPage key={subpath[0]} id={subpath[0]} /> : <PriceListsPage />;
}

// --- all price lists ----------------------------------------------------------------------

function PriceListsPage() {
  const t = useT();
  const id = useId();
  const explain = useExplain();
  const canChange = isManager(useSession().user);
  const [lists, setLists] = useState<PriceList[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [currency, setCurrency] = useState("");
  const [makeDefault, setMakeDefault] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setLists((await get<{ items: PriceList[] }>("/price-lists?limit=100&sort=name")).items ?? []);
      setFailed(false);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await action();
      await load();
      return true;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(explain(error));
      await load();
      return false;
    } finally {
      setBusy(false);
    }
  };

  const create = async () => {
    const code = currency.trim().toUpperCase();
    if (!name.trim() || !/^[A-Z]{3}$/.test(code)) {
      setProblem(!name.trim() ? t("priceLists.error.name") : t("priceLists.error.currency"));
      return;
    }
    const done = await run(() =>
      request("/price-lists", { method: "POST", body: { name: name.trim(), currency: code, is_default: makeDefault } }),
    );
    if (done) {
      setName("");
      setCurrency("");
      setMakeDefault(false);
    }
  };

  return (
    <div className="page price-lists-page">
      <header className="page-head">
        <h1 className="grow">{t("section.priceLists")}</h1>
      </header>
      <p className="muted small">{t("priceLists.intro")}</p>
      <Banner text={problem} />
      {failed && <p className="form-error">{t("error.loadFailed")}</p>}
      {!lists && !failed && <div className="loading" aria-busy="true" />}
      {lists && lists.length === 0 && <p className="muted empty-note">{t("prices.noLists")}</p>}
      {lists && lists.length > 0 && (
        <table className="simple-table price-lists">
          <thead>
            <tr>
              <th scope="col">{t("priceLists.name")}</th>
              <th scope="col">{t("priceLists.currency")}</th>
              <th scope="col">{t("priceLists.default")}</th>
              {canChange && <th scope="col">{t("priceLists.actions")}</th>}
            </tr>
          </thead>
          <tbody>
            {lists.map((list) => (
              <tr key={list.id} data-price-list={list.name}>
                <td>
                  <Link to={`/price-lists/${list.id}`}>{list.name}</Link>
                </td>
                <td>{list.currency}</td>
                <td data-part="default">{list.is_default ? <span className="badge">{t("priceLists.isDefault")}</span> : null}</td>
                {canChange && (
                  <td className="row-actions">
                    {!list.is_default && (
                      <button
                        type="button"
                        className="button small"
                        disabled={busy}
                        onClick={() =>
                          void run(() =>
                            request(listPath(list.id), { method: "PATCH", body: { is_default: true }, headers: ifMatch(list.version) }),
                          )
                        }
                      >
                        {t("priceLists.makeDefault")}
                      </button>
                    )}
                    <button
                      type="button"
                      className="button danger-ghost small"
                      disabled={busy}
                      aria-label={t("priceLists.deleteNamed", { name: list.name })}
                      onClick={() => {
                        if (!window.confirm(t("priceLists.confirmDelete", { name: list.name }))) return;
                        void run(() => request(listPath(list.id), { method: "DELETE", headers: ifMatch(list.version) }));
                      }}
                    >
                      <Icon path={ICONS.trash} size={16} />
                      {t("action.delete")}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canChange && (
        <form
          className="card inline-fields new-price-list"
          aria-labelledby={`${id}-new`}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void create();
          }}
        >
          <h2 id={`${id}-new`} className="subhead">
            {t("priceLists.new")}
          </h2>
          <label className="field">
            {t("priceLists.name")}
            <input value={name} maxLength={200} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label className="field">
            {t("priceLists.currency")}
            <input
              value={currency}
              maxLength={3}
              size={4}
              placeholder="EUR"
              autoCapitalize="characters"
              onChange={(e) => setCurrency(e.target.value.toUpperCase())}
              required
            />
          </label>
          <label className="check">
            <input type="checkbox" checked={makeDefault} onChange={(e) => setMakeDefault(e.target.checked)} />
            {t("priceLists.makeItDefault")}
          </label>
          <button type="submit" className="button primary" disabled={busy}>
            <Icon path={ICONS.plus} size={16} />
            {t("priceLists.create")}
          </button>
        </form>
      )}
    </div>
  );
}

// --- one price list and its prices ----------------------------------------------------------

function PriceListPage({ id }: { id: string }) {
  const t = useT();
  const explain = useExplain();
  const canChange = isManager(useSession().user);
  const [list, setList] = useState<PriceList | null>(null);
  const [prices, setPrices] = useState<Price[] | null>(null);
  const [missing, setMissing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [rename, setRename] = useState<string | null>(null);
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [rowErrors, setRowErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const [loaded, items] = await Promise.all([
        get<PriceList>(listPath(id)),
        get<{ items: Price[] }>(`${listPath(id)}/prices`),
      ]);
      setList(loaded);
      setPrices(items.items ?? []);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) setMissing(true);
      else if (!(error instanceof ApiError && error.status === 401)) setProblem(explain(error));
    }
  }, [id]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    void load();
  }, [load]);

  const run = async (action: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setProblem(null);
    setStatus(null);
    try {
      await action();
      if (done) setStatus(done);
      await load();
      return true;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setProblem(explain(error));
      await load();
      return false;
    } finally {
      setBusy(false);
    }
  };

  const setPrice = async (productId: string, typed: string) => {
    if (!list) return false;
    const check = checkPrice(typed, list.currency);
    if (!check.ok) {
      setRowErrors((e) => ({ ...e, [productId]: t(check.key, check.params) }));
      return false;
    }
    setRowErrors((e) => ({ ...e, [productId]: "" }));
    const path = `${listPath(list.id)}/prices/${encodeURIComponent(productId)}`;
    return run(() => request(path, { method: "PUT", body: { price: check.text } }), t("priceLists.saved"));
  };

  if (missing) return <p className="empty-page">{t("error.notFound")}</p>;
  if (!list || !prices) {
    return problem ? <Banner text={problem} /> : <div className="loading" aria-busy="true" />;
  }
  const saveName = async () => {
    const name = (rename ?? "").trim();
    if (!name) {
      setProblem(t("priceLists.error.name"));
      return;
    }
    if (name !== list.name) {
      const ok = await run(
        () => request(listPath(list.id), { method: "PATCH", body: { name }, headers: ifMatch(list.version) }),
        t("priceLists.saved"),
      );
      if (!ok) return;
    }
    setRename(null);
  };

  return (
    <div className="page price-list-page" data-price-list={list.name}>
      <header className="record-head">
        <Link to="/price-lists" className="back-link">
          <Icon path={ICONS.back} size={16} />
          {t("section.priceLists")}
        </Link>
        <div className="record-title">
          {rename === null ? (
            <h1>{list.name}</h1>
          ) : (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                void saveName();
              }}
            >
              <input aria-label={t("priceLists.name")} value={rename} maxLength={200} autoFocus onChange={(e) => setRename(e.target.value)} />
              <button type="submit" className="button small primary" disabled={busy}>
                {t("action.save")}
              </button>
              <button type="button" className="button small ghost" onClick={() => setRename(null)}>
                {t("action.cancel")}
              </button>
            </form>
          )}
          <span className="badge">{list.currency}</span>
          {list.is_default && <span className="badge">{t("priceLists.isDefault")}</span>}
          <div className="actions">
            {status && (
              <span className="muted" role="status">
                {status}
              </span>
            )}
            {canChange && rename === null && (
              <button type="button" className="button small" onClick={() => setRename(list.name)}>
                {t("priceLists.rename")}
              </button>
            )}
            {canChange && !list.is_default && (
              <button
                type="button"
                className="button small"
                disabled={busy}
                onClick={() =>
                  void run(
                    () => request(listPath(list.id), { method: "PATCH", body: { is_default: true }, headers: ifMatch(list.version) }),
                    t("priceLists.saved"),
                  )
                }
              >
                {t("priceLists.makeDefault")}
              </button>
            )}
            {canChange && (
              <button
                type="button"
                className="button danger-ghost small"
                disabled={busy}
                onClick={() => {
                  if (!window.confirm(t("priceLists.confirmDelete", { name: list.name }))) return;
                  void run(() => request(listPath(list.id), { method: "DELETE", headers: ifMatch(list.version) })).then(
                    (ok) => ok && navigate("/price-lists", { replace: true }),
                  );
                }}
              >
                <Icon path={ICONS.trash} size={16} />
                {t("action.delete")}
              </button>
            )}
          </div>
        </div>
      </header>
      <Banner text={problem} />
      {prices.length === 0 && <p className="muted empty-note">{t("priceLists.noPrices")}</p>}
      {prices.length > 0 && (
        <table className="simple-table prices-grid">
          <thead>
            <tr>
              <th scope="col">{t("priceLists.product")}</th>
              <th scope="col">{t("prices.price")}</th>
              {canChange && <th scope="col">{t("prices.newPrice")}</th>}
              {canChange && <th scope="col">{t("priceLists.actions")}</th>}
            </tr>
          </thead>
          <tbody>
            {prices.map((row) => {
              const label = `${row.product_code ?? ""} — ${row.product_name ?? ""}`;
              const error = rowErrors[row.product_id];
              return (
                <tr key={row.product_id} data-product={row.product_code ?? row.product_id}>
                  <td>
                    <Link to={`/products/${row.product_id}`}>{label}</Link>
                  </td>
                  <td data-part="price">{formatMoney(t.locale, row.price, list.currency)}</td>
                  {canChange && (
                    <td>
                      <form
                        className="inline-form"
                        noValidate
                        onSubmit={(e) => {
                          e.preventDefault();
                          void setPrice(row.product_id, drafts[row.product_id] ?? row.price).then(
                            (ok) => ok && setDrafts((d) => ({ ...d, [row.product_id]: "" })),
                          );
                        }}
                      >
                        <div className="with-suffix">
                          <input
                            type="text"
                            inputMode="decimal"
                            autoComplete="off"
                            aria-label={t("priceLists.priceOf", { product: label })}
                            aria-invalid={error ? true : undefined}
                            placeholder={row.price}
                            value={drafts[row.product_id] ?? ""}
                            onChange={(e) => setDrafts((d) => ({ ...d, [row.product_id]: e.target.value }))}
                          />
                          <span className="suffix">{list.currency}</span>
                        </div>
                        <button type="submit" className="button small" disabled={busy || !(drafts[row.product_id] ?? "").trim()}>
                          {t("prices.set")}
                        </button>
                      </form>
                      {error && <p className="field-error">{error}</p>}
                    </td>
                  )}
                  {canChange && (
                    <td>
                      <button
                        type="button"
                        className="button danger-ghost small"
                        disabled={busy}
                        aria-label={t("priceLists.removeNamed", { product: label })}
                        onClick={() =>
                          void run(
                            () => request(`${listPath(list.id)}/prices/${encodeURIComponent(row.product_id)}`, { method: "DELETE" }),
                            t("priceLists.removed"),
                          )
                        }
                      >
                        {t("priceLists.remove")}
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {canChange && (
        <AddPrice
          currency={list.currency}
          exclude={prices.map((p) => p.product_id)}
          busy={busy}
          onAdd={(productId, typed) => setPrice(productId, typed)}
          error={rowErrors.new ?? ""}
          setError={(message) => setRowErrors((e) => ({ ...e, new: message }))}
        />
      )}
    </div>
  );
}

// --- adding a product -----------------------------------------------------------------------

interface AddProps {
  currency: string;
  exclude: string[];
  busy: boolean;
  onAdd: (productId: string, typed: string) => Promise<boolean>;
  error: string;
  setError: (message: string) => void;
}

function AddPrice({ currency, exclude, busy, onAdd, error, setError }: AddProps) {
  const t = useT();
  const id = useId();
  const [text, setText] = useState("");
  const [chosen, setChosen] = useState<Product | null>(null);
  const [options, setOptions] = useState<Product[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [price, setPrice] = useState("");
  const priceInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!open || chosen) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      const query = new URLSearchParams({ limit: "10", sort: "code", "filter[is_active]": "true" });
      if (text.trim()) query.set("q", text.trim());
      get<{ items: Product[] }>(`/products?${query}`, controller.signal).then(
        (page) => {
          setOptions((page.items ?? []).filter((p) => !exclude.includes(p.id)));
          setActive(0);
        },
        () => undefined,
      );
    }, 200);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [open, text, chosen]); // eslint-disable-line react-hooks/exhaustive-deps

  const choose = (product: Product) => {
    setChosen(product);
    setText(`${product.code} — ${product.name}`);
    setOpen(false);
    priceInput.current?.focus();
  };

  const add = async () => {
    if (!chosen) {
      setError(t("priceLists.error.product"));
      return;
    }
    setError("");
    const check = checkPrice(price, currency);
    if (!check.ok) {
      setError(t(check.key, check.params));
      return;
    }
    if (await onAdd(chosen.id, price)) {
      setChosen(null);
      setText("");
      setPrice("");
    }
  };

  return (
    <form
      className="card inline-fields add-price"
      aria-labelledby={`${id}-title`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void add();
      }}
    >
      <h2 id={`${id}-title`} className="subhead">
        {t("priceLists.addProduct")}
      </h2>
      <div className="field product-picker">
        <label htmlFor={`${id}-product`}>{t("priceLists.product")}</label>
        <div className="picker">
        <input
          id={`${id}-product`}
          role="combobox"
          aria-expanded={open}
          aria-controls={`${id}-options`}
          aria-autocomplete="list"
          aria-activedescendant={open && options[active] ? `${id}-option-${active}` : undefined}
          autoComplete="off"
          placeholder={t("priceLists.findProduct")}
          value={text}
          onFocus={() => setOpen(true)}
          onBlur={() => window.setTimeout(() => setOpen(false), 150)}
          onChange={(e) => {
            setText(e.target.value);
            setChosen(null);
            setOpen(true);
          }}
          onKeyDown={(e) => {
            if (!open || !options.length) return;
            if (e.key === "ArrowDown") {
              e.preventDefault();
              setActive((a) => Math.min(a + 1, options.length - 1));
            } else if (e.key === "ArrowUp") {
              e.preventDefault();
              setActive((a) => Math.max(a - 1, 0));
            } else if (e.key === "Enter") {
              e.preventDefault();
              choose(options[active]);
            }
          }}
        />
        {open && !chosen && (
          <ul id={`${id}-options`} role="listbox" className="picker-list">
            {options.length === 0 && <li className="picker-empty">{t("priceLists.noProducts")}</li>}
            {options.map((product, index) => (
              <li
                key={product.id}
                id={`${id}-option-${index}`}
                role="option"
                aria-selected={index === active}
                onMouseDown={(e) => {
                  e.preventDefault();
                  choose(product);
                }}
              >
                <strong>{product.code}</strong> {product.name}
              </li>
            ))}
          </ul>
        )}
        </div>
      </div>
      <label className="field">
        {t("prices.price")}
        <span className="with-suffix">
          <input
            ref={priceInput}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            aria-invalid={error ? true : undefined}
            value={price}
            onChange={(e) => setPrice(e.target.value)}
          />
          <span className="suffix">{currency}</span>
        </span>
      </label>
      <button type="submit" className="button primary" disabled={busy}>
        <Icon path={ICONS.plus} size={16} />
        {t("priceLists.add")}
      </button>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
