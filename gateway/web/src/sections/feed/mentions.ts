// @mention autocomplete: which handle is being typed at the caret, and the text after
// one is picked. Pure, so the composer and its tests share it.

export interface MentionQuery {
  /** Where the "@" is. */
  start: number;
  /** The caret (the end of what is typed so far). */
  end: number;
  /** What follows the "@" up to the caret (may be empty). */
  query: string;
}

const HANDLE_CHAR = /[\p{L}\p{N}._+-]/u;

/** The mention being typed at `caret`, or null: an "@" at the start or after a space or
 * bracket, followed only by handle characters up to the caret. */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  if (caret < 0 || caret > text.length) return null;
  let i = caret;
  while (i > 0 && HANDLE_CHAR.test(text[i - 1])) i -= 1;
  if (i === 0 || text[i - 1] !== "@") return null;
  const at = i - 1;
  const before = at > 0 ? text[at - 1] : "";
  if (before && !/[\s([{"'«]/.test(before)) return null; // an email address, not a mention
  const query = text.slice(i, caret);
  if (query.length > 64) return null;
  return { start: at, end: caret, query };
}

/** The text with the typed mention replaced by "@handle " and where the caret goes. */
export function insertMention(text: string, mention: MentionQuery, handle: string): { text: string; caret: number } {
  const after = text.slice(mention.end);
  const inserted = `@${handle}${after.startsWith(" ") ? "" : " "}`;
  const next = text.slice(0, mention.start) + inserted + after;
  return { text: next, caret: mention.start + inserted.length + (after.startsWith(" ") ? 1 : 0) };
}

/** A file size people read: 900 B, 12.5 KB, 3.2 MB. */
export function formatSize(bytes: number, locale = "en"): string {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}
