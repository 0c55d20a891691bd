import { useEffect, useId, useRef, useState } from "react";
import { LOOKUPS, searchLookup, useLookupName, useWholeList } from "../core/lookup";
import { useT } from "../i18n";
import { ICONS, Icon } from "../shell/Icon";

interface Props {
  /** The entity the field points at (accounts, contacts, users, …). */
  lookup: string;
  value: string | null;
  onChange: (id: string | null, name?: string) => void;
  id?: string;
  invalid?: boolean;
  describedBy?: string;
  required?: boolean;
  placeholder?: string;
  /** Leave these out of the choices (e.g. the record itself). */
  exclude?: string[];
  name?: string;
}

/** Choose a linked record by typing part of its name (the list endpoint's `q`). */
export function LookupPicker(props: Props) {
  const def = LOOKUPS[props.lookup];
  if (def?.whole) return <WholeSelect {...props} />;
  return <SearchPicker {...props} />;
}

function WholeSelect({ lookup, value, onChange, id, invalid, describedBy, required, name }: Props) {
  const t = useT();
  const items = useWholeList(lookup);
  return (
    <select
      id={id}
      name={name}
      value={value ?? ""}
      aria-invalid={invalid || undefined}
      aria-describedby={describedBy}
      required={required}
      onChange={(e) => onChange(e.target.value || null, items.find((i) => i.id === e.target.value)?.name)}
    >
      <option value="">{t("field.none")}</option>
      {items.map((item) => (
        <option key={item.id} value={item.id}>
          {item.name}
        </option>
      ))}
    </select>
  );
}

function SearchPicker({ lookup, value, onChange, id, invalid, describedBy, required, placeholder, exclude, name }: Props) {
  const t = useT();
  const listId = useId();
  const current = useLookupName(lookup, value);
  const [text, setText] = useState<string | null>(null); // null: not typing, show the chosen name
  const [open, setOpen] = useState(false);
  const [options, setOptions] = useState<Array<{ id: string; name: string }>>([]);
  const [active, setActive] = useState(0);
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      setBusy(true);
      searchLookup(lookup, text ?? "", controller.signal)
        .then((found) => {
          setOptions(found.filter((f) => !exclude?.includes(f.id)));
          setActive(0);
        })
        .catch(() => undefined)
        .finally(() => setBusy(false));
    }, 200);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [open, text, lookup]); // eslint-disable-line react-hooks/exhaustive-deps

  const choose = (option: { id: string; name: string } | null) => {
    onChange(option ? option.id : null, option?.name);
    setText(null);
    setOpen(false);
  };
  const shown = text ?? (value ? (current ?? (current === null ? value.slice(0, 8) : "")) : "");

  return (
    <div
      className="picker"
      ref={box}
      onBlur={(e) => {
        if (!box.current?.contains(e.relatedTarget as Node)) {
          setOpen(false);
          setText(null);
        }
      }}
    >
      <input
        id={id}
        name={name}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open && options[active] ? `${listId}-${active}` : undefined}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
        required={required}
        placeholder={placeholder ?? t("picker.search")}
        value={shown}
        onFocus={() => setOpen(true)}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(a + 1, options.length - 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === "Enter" && open) {
            e.preventDefault();
            if (options[active]) choose(options[active]);
          } else if (e.key === "Escape") {
            setOpen(false);
            setText(null);
          }
        }}
      />
      {value && (
        <button type="button" className="icon-button picker-clear" aria-label={t("picker.clear")} onClick={() => choose(null)}>
          <Icon path={ICONS.close} size={14} />
        </button>
      )}
      {open && (
        <ul className="picker-list" role="listbox" id={listId}>
          {options.map((option, index) => (
            <li
              key={option.id}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              tabIndex={-1}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(option)}
            >
              {option.name}
            </li>
          ))}
          {!busy && options.length === 0 && <li className="picker-empty">{t("picker.nothing")}</li>}
          {busy && options.length === 0 && <li className="picker-empty">{t("list.loading")}</li>}
        </ul>
      )}
    </div>
  );
}
