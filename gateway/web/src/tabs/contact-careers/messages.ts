import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.careers": "Career",
    "careers.none": "No places of work yet.",
    "careers.account": "Account",
    "careers.job": "Job title",
    "careers.from": "From",
    "careers.to": "To",
    "careers.primary": "Main place of work",
    "careers.add": "Add a place of work",
    "careers.now": "now",
    "careers.primaryBadge": "Main",
  },
  ru: {
    "tab.careers": "Карьера",
    "careers.none": "Мест работы пока нет.",
    "careers.account": "Контрагент",
    "careers.job": "Должность",
    "careers.from": "С",
    "careers.to": "По",
    "careers.primary": "Основное место работы",
    "careers.add": "Добавить место работы",
    "careers.now": "по настоящее время",
    "careers.primaryBadge": "Основное",
  },
};

export default messages;
