import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.feed": "Feed",
    "recordFeed.empty": "No posts about this record yet. Write one above: everyone who may see the record can read it.",
    "recordFeed.follow": "Follow this record",
    "recordFeed.following": "Following this record",
    "recordFeed.followHint": "Followers get its posts in their feed.",
  },
  ru: {
    "tab.feed": "Лента",
    "recordFeed.empty": "Записей об этой карточке пока нет. Напишите первую: её прочтут все, кто видит карточку.",
    "recordFeed.follow": "Подписаться на карточку",
    "recordFeed.following": "Вы подписаны на карточку",
    "recordFeed.followHint": "Подписчики видят её записи в своей ленте.",
  },
};

export default messages;
