import type { LocaleMessages } from "../../i18n";

const messages: LocaleMessages = {
  en: {
    "tab.activities": "Activities",
    "activitiesTab.add": "Add",
    "activitiesTab.type": "Type",
    "activitiesTab.title": "Subject",
    "activitiesTab.titlePlaceholder": "Call back about the proposal",
    "activitiesTab.due": "Due",
    "activitiesTab.open": "To do",
    "activitiesTab.done": "Done",
    "activitiesTab.none": "No activities yet. Add a task, a call or a meeting above.",
    // where an activity came from (its source), wherever activities are listed or shown
    "entity.activities.field.source": "Source",
    "entity.activities.source.google": "From Google Calendar",
    "entity.activities.source.exchange": "From Exchange",
  },
  ru: {
    "tab.activities": "Дела",
    "activitiesTab.add": "Добавить",
    "activitiesTab.type": "Тип",
    "activitiesTab.title": "Тема",
    "activitiesTab.titlePlaceholder": "Перезвонить по предложению",
    "activitiesTab.due": "Срок",
    "activitiesTab.open": "Сделать",
    "activitiesTab.done": "Сделано",
    "activitiesTab.none": "Дел пока нет. Добавьте задачу, звонок или встречу выше.",
    "entity.activities.field.source": "Источник",
    "entity.activities.source.google": "Из Google Календаря",
    "entity.activities.source.exchange": "Из Exchange",
  },
};

export default messages;
