// The orders settings page (administrators).
const messages = {
  en: {
    "admin.ordersSettings": "Orders",
    "ordersSettings.title": "Orders settings",
    "ordersSettings.proposeOnWin": "Propose an order when a deal is won",
    "ordersSettings.proposeOnWinHint":
      "A won deal gets a draft order with its products, for its owner to check and confirm. A deal that already has an order gets no other.",
    "ordersSettings.saved": "Saved.",
    "ordersSettings.never": "Not changed yet: the installation's default applies.",
    "ordersSettings.changed": "Last changed {when}.",
  },
  ru: {
    "admin.ordersSettings": "Заказы",
    "ordersSettings.title": "Настройки заказов",
    "ordersSettings.proposeOnWin": "Предлагать заказ при выигрыше сделки",
    "ordersSettings.proposeOnWinHint":
      "Для выигранной сделки создаётся черновик заказа с её товарами — ответственный проверит и подтвердит его. Сделка, у которой уже есть заказ, другого не получит.",
    "ordersSettings.saved": "Сохранено.",
    "ordersSettings.never": "Ещё не менялось: действует значение по умолчанию для установки.",
    "ordersSettings.changed": "Последнее изменение: {when}.",
  },
};

export default messages;
