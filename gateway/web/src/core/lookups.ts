// The lookup lists (lead sources, channels, disqualification reasons, need types, deals'
// loss reasons), loaded once per
// session and refreshed when an administrator changes one.
import { useEffect, useState } from "react";
import { get } from "./api";

export type LookupKind = "lead-sources" | "lead-channels" | "disqualification-reasons" | "need-types" | "loss-reasons";
export const LOOKUP_KINDS: LookupKind[] = ["disqualification-reasons", "lead-sources", "lead-channels", "need-types", "loss-reasons"];

/** The list a form offers for a field: the one its entity names (`suggestions`), else
 * the need types for any `need_type` (leads' and deals'). */
export function fieldLookup(field: { name: string; suggestions?: LookupKind | null }): LookupKind | null {
  return field.suggestions ?? (field.name === "need_type" ? "need-types" : null);
}

export interface LookupEntry {
  id: string;
  kind: string;
  code: string;
  name: string;
  position: number;
  is_active: boolean;
  version: number;
}

const cache = new Map<LookupKind, Promise<LookupEntry[]>>();
const listeners = new Set<() => void>();

export function loadLookup(kind: LookupKind): Promise<LookupEntry[]> {
  let pending = cache.get(kind);
  if (!pending) {
    pending = get<{ items: LookupEntry[] }>(`/lookups/${kind}`).then(
      (body) => body.items ?? [],
      (error) => {
        cache.delete(kind);
        throw error;
      },
    );
    cache.set(kind, pending);
  }
  return pending;
}

/** Forget a list (it was changed): whoever shows it loads it again. */
export function forgetLookup(kind: LookupKind): void {
  cache.delete(kind);
  listeners.forEach((listener) => listener());
}

/** A lookup list (null while loading, or while `wanted` is false); re-read when it is forgotten. */
export function useLookup(kind: LookupKind, wanted = true): LookupEntry[] | null {
  const [items, setItems] = useState<LookupEntry[] | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    const listener = () => setRound((r) => r + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    loadLookup(kind).then(
      (found) => live && setItems(found),
      () => live && setItems([]),
    );
    return () => {
      live = false;
    };
  }, [kind, round, wanted]);
  return items;
}

/** An entry's name by its code (the code itself when the list does not know it). */
export function lookupName(items: LookupEntry[] | null, code: unknown): string {
  if (typeof code !== "string" || !code) return "";
  return items?.find((item) => item.code === code)?.name ?? code;
}
