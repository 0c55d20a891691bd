// The channel a new post goes to when the user has not picked one.
import type { Channel } from "./types";

const GENERAL_NAMES = new Set(["general", "общий", "общее", "общая"]);

/** Where a post goes when the user has not picked a channel: the channel they posted to
 * last, else the company's General channel, else the first open one, else the first. */
export function defaultChannel(channels: Channel[] | undefined, last: string | undefined): string | null {
  if (!channels?.length) return null;
  if (last && channels.some((c) => c.id === last)) return last;
  const general = channels.find((c) => GENERAL_NAMES.has(c.name.trim().toLowerCase()));
  return (general ?? channels.find((c) => !c.is_private) ?? channels[0]).id;
}
