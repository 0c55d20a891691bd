// A textarea that offers people and teams when an @handle is being typed.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { get } from "../../core/api";
import { useT } from "../../i18n";
import { insertMention, mentionAt, type MentionQuery } from "./mentions";
import type { Suggestion } from "./types";

interface Props {
  value: string;
  onChange: (text: string) => void;
  label: string;
  placeholder?: string;
  rows?: number;
  /** Ctrl/⌘+Enter. */
  onSubmit?: () => void;
  autoFocus?: boolean;
  name?: string;
}

export function MentionTextarea({ value, onChange, label, placeholder, rows = 3, onSubmit, autoFocus, name }: Props) {
  const t = useT();
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const [mention, setMention] = useState<MentionQuery | null>(null);
  const [items, setItems] = useState<Suggestion[]>([]);
  const [active, setActive] = useState(0);

  useEffect(() => {
    if (!mention) {
      setItems([]);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      get<{ items: Suggestion[] }>(`/mentions/suggest?q=${encodeURIComponent(mention.query)}`, controller.signal).then(
        (body) => {
          setItems(body.items ?? []);
          setActive(0);
        },
        () => setItems([]),
      );
    }, 120);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [mention?.query, mention?.start]); // eslint-disable-line react-hooks/exhaustive-deps

  const track = (text: string, caret: number) => setMention(mentionAt(text, caret));

  const pick = (suggestion: Suggestion) => {
    if (!mention) return;
    const next = insertMention(value, mention, suggestion.handle);
    onChange(next.text);
    setMention(null);
    setItems([]);
    requestAnimationFrame(() => {
      area.current?.focus();
      area.current?.setSelectionRange(next.caret, next.caret);
    });
  };

  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (items.length > 0 && mention) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        setActive((i) => (i + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length);
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pick(items[active]);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        setMention(null);
        return;
      }
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && onSubmit) {
      event.preventDefault();
      onSubmit();
    }
  };

  const open = mention !== null && items.length > 0;
  return (
    <div className="mention-box">
      <textarea
        ref={area}
        name={name}
        rows={rows}
        value={value}
        aria-label={label}
        placeholder={placeholder}
        autoFocus={autoFocus}
        role="combobox"
        aria-expanded={open}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        aria-activedescendant={open ? `${id}-${active}` : undefined}
        onChange={(e) => {
          onChange(e.target.value);
          track(e.target.value, e.target.selectionStart ?? e.target.value.length);
        }}
        onKeyDown={keyDown}
        onClick={(e) => track(value, e.currentTarget.selectionStart ?? value.length)}
        onBlur={() => setTimeout(() => setMention(null), 150)}
      />
      {open && (
        <ul className="mention-list" role="listbox" id={`${id}-list`} aria-label={t("feed.mention.suggestions")}>
          {items.map((item, index) => (
            <li
              key={`${item.type}:${item.id}`}
              id={`${id}-${index}`}
              role="option"
              aria-selected={index === active}
              className={index === active ? "active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(item);
              }}
            >
              <span className="mention-handle">@{item.handle}</span>
              <span className="muted">{item.name}</span>
              {item.type === "team" && <span className="badge">{t("feed.mention.team")}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
