export default {
  en: {
    "tab.orderHistory": "History",
    "orderHistory.none": "No changes yet.",
    "orderHistory.when": "When",
    "orderHistory.from": "From",
    "orderHistory.to": "To",
    "orderHistory.reason": "Reason",
    "orderHistory.who": "Who",
  },
  ru: {
    "tab.orderHistory": "История",
    "orderHistory.none": "Изменений пока нет.",
    "orderHistory.when": "Когда",
    "orderHistory.from": "Было",
    "orderHistory.to": "Стало",
    "orderHistory.reason": "Причина",
    "orderHistory.who": "Кто",
  },
};
