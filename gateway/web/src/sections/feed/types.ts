// The feed's shapes as the API sends them (docs/api.md, "Feed").

export interface Related {
  type: string;
  id: string;
}

export interface Mention {
  type: "user" | "team";
  id: string;
  handle: string;
}

export interface Attachment {
  id: string;
  name: string;
  content_type: string;
  size: number;
}

export interface Post {
  id: string;
  channel_id: string | null;
  related: Related | null;
  text: string;
  /** Sanitized by the server: the only thing ever inserted as HTML. */
  html: string;
  author_id: string | null;
  kind: "user" | "system";
  event_type: string | null;
  mentions: Mention[];
  attachments: Attachment[];
  like_count: number;
  liked_by_me: boolean;
  comment_count: number;
  is_pinned: boolean;
  created_at: string;
  edited_at: string | null;
  version: number;
}

export interface Comment {
  id: string;
  post_id: string;
  text: string;
  html: string;
  author_id: string | null;
  mentions: Mention[];
  created_at: string;
  edited_at: string | null;
  version: number;
}

export interface Channel {
  id: string;
  name: string;
  description: string | null;
  is_private: boolean;
  member_ids?: string[] | null;
  admin_ids: string[];
  created_by: string | null;
  created_at: string;
  version: number;
  is_member?: boolean;
  is_following?: boolean;
}

export interface Subscription {
  id: string;
  target: Related;
  created_at: string;
}

export interface Notification {
  id: string;
  kind: string;
  text: string;
  related: Related | null;
  post_id: string | null;
  actor_id: string | null;
  read_at: string | null;
  created_at: string;
}

export interface Suggestion {
  type: "user" | "team";
  id: string;
  handle: string;
  name: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** A record type as the feed names it → the app's route for its page. */
export const RECORD_ROUTES: Record<string, string> = {
  lead: "/leads",
  account: "/accounts",
  contact: "/contacts",
  opportunity: "/opportunities",
  order: "/orders",
  invoice: "/invoices",
  activity: "/activities",
};

/** The app's entity (a record page's) → the feed's record type. */
export const FEED_TYPE: Record<string, string> = {
  leads: "lead",
  accounts: "account",
  contacts: "contact",
  opportunities: "opportunity",
  orders: "order",
  invoices: "invoice",
  activities: "activity",
};

/** Where a record lives in the app, opened on its Feed tab. */
export function recordHref(related: Related, tab = "feed"): string | null {
  const route = RECORD_ROUTES[related.type];
  return route ? `${route}/${encodeURIComponent(related.id)}${tab ? `?tab=${tab}` : ""}` : null;
}
