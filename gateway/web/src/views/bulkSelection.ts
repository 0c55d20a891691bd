// What a list's selection sends to the bulk actions API (no React, no browser).
import type { EntityRecord } from "../core/meta";

/** What the selection is: ids (with the versions the user saw), or all the filter matches. */
export interface Selection {
  ids: string[];
  allMatching: boolean;
  /** How many all the matching are, when the list said (null: ask the API). */
  matchingCount: number | null;
}

/** The list's API query (`filter[x]`, `q`) as the bulk API's `filter` and `q`. */
export function selectionBody(selection: Selection, rows: EntityRecord[], query: URLSearchParams): Record<string, unknown> {
  if (!selection.allMatching) {
    const versions: Record<string, number> = {};
    const chosen = new Set(selection.ids);
    for (const row of rows) if (chosen.has(row.id) && typeof row.version === "number") versions[row.id] = row.version;
    return { ids: selection.ids, versions };
  }
  const filter: Record<string, string> = {};
  query.forEach((value, key) => {
    const name = /^filter\[(.+)\]$/.exec(key)?.[1];
    if (name) filter[name] = value;
  });
  const q = query.get("q");
  return { all_matching: true, filter, ...(q ? { q } : {}) };
}
