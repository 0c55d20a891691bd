// One search box for the whole CRM: leads, contacts, accounts, deals, orders and invoices
// found by name, email, phone or number as the user types (GET /api/v1/search), grouped
// by section. "/" anywhere outside a field puts the cursor in it; arrows move through
// the results, Enter opens one, Escape closes the list.
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { ApiError, get } from "../core/api";
import { SECTIONS } from "../core/registry";
import { navigate } from "../core/router";
import { useT } from "../i18n";
import { ICONS, Icon } from "./Icon";

interface Hit {
  id: string;
  title?: string;
  subtitle?: string;
}

interface Section {
  entity: string;
  items: Hit[];
  more: boolean;
}

interface Answer {
  q: string;
  sections: Section[];
  unavailable?: string[];
}

const DEBOUNCE_MS = 150;
const MIN_LENGTH = 2;

function typingInAField(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element) return false;
  return element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName);
}

export function GlobalSearch({ collapsed, onExpand }: { collapsed: boolean; onExpand: () => void }) {
  const t = useT();
  const listId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);

  // "/" focuses the box from anywhere but a field
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typingInAField(event.target)) return;
      event.preventDefault();
      if (collapsed) onExpand();
      window.setTimeout(() => input.current?.focus(), 0);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [collapsed, onExpand]);

  const query = text.trim();
  useEffect(() => {
    if (query.length < MIN_LENGTH) {
      setAnswer(null);
      setFailed(false);
      setBusy(false);
      return;
    }
    const controller = new AbortController();
    setBusy(true);
    const timer = window.setTimeout(() => {
      const params = new URLSearchParams({ q: query });
      get<Answer>(`/search?${params}`, controller.signal)
        .then((found) => {
          setAnswer(found);
          setFailed(false);
          setActive(0);
        })
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          setFailed(!(error instanceof ApiError && error.status === 422));
          setAnswer(null);
        })
        .finally(() => {
          if (!controller.signal.aborted) setBusy(false);
        });
    }, DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [query]);

  const sectionOf = useMemo(() => new Map(SECTIONS.map((s) => [s.id, s])), []);
  const hits = useMemo(
    () =>
      (answer?.sections ?? []).flatMap((section) => {
        const def = sectionOf.get(section.entity);
        return def ? section.items.map((hit) => ({ hit, section: section.entity, route: def.route })) : [];
      }),
    [answer, sectionOf],
  );

  const go = (index: number) => {
    const chosen = hits[index];
    if (!chosen) return;
    setOpen(false);
    setText("");
    navigate(`${chosen.route}/${encodeURIComponent(chosen.hit.id)}`);
  };

  if (collapsed) {
    return (
      <button
        type="button"
        className="menu-item global-search-toggle"
        title={t("search.open")}
        aria-label={t("search.open")}
        onClick={() => {
          onExpand();
          window.setTimeout(() => input.current?.focus(), 0);
        }}
      >
        <Icon path={ICONS.search} />
      </button>
    );
  }

  const showList = open && query.length >= MIN_LENGTH && (answer !== null || failed);
  // The sidebar clips what overflows it: the list is placed on the page, under the box.
  const box = input.current?.parentElement?.getBoundingClientRect();
  const placement = box ? { top: box.bottom + 4, left: box.left } : undefined;
  const optionId = (index: number) => `${listId}-option-${index}`;
  let index = -1;
  return (
    <div className="global-search" role="search">
      <Icon path={ICONS.search} />
      <input
        ref={input}
        type="search"
        value={text}
        placeholder={t("search.placeholder")}
        aria-label={t("search.label")}
        role="combobox"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && hits.length ? optionId(active) : undefined}
        aria-busy={busy}
        onChange={(event) => {
          setText(event.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => window.setTimeout(() => setOpen(false), 150)}
        onKeyDown={(event) => {
          if (event.key === "ArrowDown") {
            event.preventDefault();
            setActive((a) => Math.min(a + 1, Math.max(hits.length - 1, 0)));
          } else if (event.key === "ArrowUp") {
            event.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (event.key === "Enter") {
            event.preventDefault();
            go(active);
          } else if (event.key === "Escape") {
            setOpen(false);
            input.current?.blur();
          }
        }}
      />
      {showList && (
        <div
          className="global-search-results"
          id={listId}
          role="listbox"
          aria-label={t("search.results")}
          style={placement}
        >
          {failed && <p className="global-search-note">{t("search.failed")}</p>}
          {!failed && hits.length === 0 && <p className="global-search-note">{t("search.none", { q: query })}</p>}
          {(answer?.sections ?? []).map((section) => {
            const def = sectionOf.get(section.entity);
            if (!def) return null;
            return (
              <div key={section.entity} role="group" aria-label={t(def.labelKey)} className="global-search-group">
                <div className="global-search-heading" aria-hidden="true">
                  {t(def.labelKey)}
                </div>
                {section.items.map((hit) => {
                  index += 1;
                  const mine = index;
                  return (
                    <div
                      key={hit.id}
                      id={optionId(mine)}
                      role="option"
                      aria-selected={mine === active}
                      className={mine === active ? "global-search-hit active" : "global-search-hit"}
                      onMouseDown={(event) => event.preventDefault()}
                      onMouseEnter={() => setActive(mine)}
                      onClick={() => go(mine)}
                    >
                      <span className="global-search-title">{hit.title || t("search.untitled")}</span>
                      {hit.subtitle && <span className="global-search-subtitle">{hit.subtitle}</span>}
                    </div>
                  );
                })}
                {section.more && (
                  <a
                    className="global-search-more"
                    href={`${def.route}?q=${encodeURIComponent(query)}`}
                    onMouseDown={(event) => event.preventDefault()}
                    onClick={(event) => {
                      event.preventDefault();
                      setOpen(false);
                      navigate(`${def.route}?q=${encodeURIComponent(query)}`);
                    }}
                  >
                    {t("search.more")}
                  </a>
                )}
              </div>
            );
          })}
          {(answer?.unavailable ?? []).length > 0 && (
            <p className="global-search-note">
              {t("search.unavailable", {
                sections: (answer?.unavailable ?? [])
                  .map((id) => (sectionOf.get(id) ? t(sectionOf.get(id)!.labelKey) : id))
                  .join(", "),
              })}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
