// The feed's requests, and the hooks that keep channels and follows at hand.
import { useCallback, useEffect, useState } from "react";
import { ApiError, BASE, get, request } from "../../core/api";
import type { Attachment, Channel, Page, Related, Subscription } from "./types";

export const feedApi = {
  channels: () => get<Page<Channel>>("/channels?limit=200"),
  subscriptions: () => get<Page<Subscription>>("/subscriptions?limit=500"),
  follow: (target: Related) => request<Subscription>("/subscriptions", { method: "POST", body: { target } }),
  unfollow: (id: string) => request(`/subscriptions/${encodeURIComponent(id)}`, { method: "DELETE" }),
};

/** Upload one file (multipart). A file over the limit is answered 413 with a problem. */
export async function uploadFile(file: File): Promise<Attachment> {
  const form = new FormData();
  form.append("file", file, file.name);
  let response: Response;
  try {
    response = await fetch(`${BASE}/files`, { method: "POST", body: form, credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    throw new ApiError(0, "network", null, []);
  }
  const text = await response.text();
  let payload: Record<string, unknown> = {};
  try {
    payload = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    payload = {};
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      typeof payload.title === "string" ? payload.title : response.statusText,
      typeof payload.detail === "string" ? payload.detail : null,
      [],
      payload,
    );
  }
  return payload as unknown as Attachment;
}

export function fileUrl(id: string): string {
  return `${BASE}/files/${encodeURIComponent(id)}`;
}

/** The channels the user may see (loaded once per screen, refreshable). */
export function useChannels(): { channels: Channel[] | null; reload: () => Promise<void>; failed: boolean } {
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [failed, setFailed] = useState(false);
  const reload = useCallback(async () => {
    try {
      setChannels((await feedApi.channels()).items);
      setFailed(false);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) setFailed(true);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { channels, reload, failed };
}

export interface Follows {
  list: Subscription[] | null;
  find: (target: Related) => Subscription | undefined;
  toggle: (target: Related) => Promise<void>;
}

/** What the user follows, with follow/unfollow. */
export function useFollows(): Follows {
  const [list, setList] = useState<Subscription[] | null>(null);
  useEffect(() => {
    feedApi.subscriptions().then(
      (page) => setList(page.items),
      () => setList([]),
    );
  }, []);
  const find = useCallback(
    (target: Related) => list?.find((s) => s.target.type === target.type && s.target.id === target.id),
    [list],
  );
  const toggle = useCallback(
    async (target: Related) => {
      const known = find(target);
      if (known) {
        await feedApi.unfollow(known.id);
        setList((l) => (l ?? []).filter((s) => s.id !== known.id));
      } else {
        const made = (await feedApi.follow(target)).data;
        setList((l) => [...(l ?? []).filter((s) => s.id !== made.id), made]);
      }
    },
    [find],
  );
  return { list, find, toggle };
}
