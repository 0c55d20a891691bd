// The orders settings page (administrators).
const messages = {
  en: {
    "admin.ordersSettings": "Orders",
    "ordersSettings.title": "Orders settings",
    "ordersSettings.proposeOnWin": "Propose an order when a deal is won",
    "ordersSettings.proposeOnWinHint":
      "A won deal gets a draft order with its products, for its owner to check and confirm. A deal that already has an order gets no other.",
    "ordersSettings.saved": "Saved.",
    "ordersSettings.company": "Our company on invoices",
    "ordersSettings.companyHint": "Printed at the top of every invoice PDF; the bank details at its foot. An empty field uses the installation's setting.",
    "ordersSettings.company_name": "Company name",
    "ordersSettings.company_address": "Address (one line per line)",
    "ordersSettings.company_tax_id": "Tax ID",
    "ordersSettings.company_email": "Email",
    "ordersSettings.company_phone": "Phone",
    "ordersSettings.company_bank": "Bank details (one line per line)",
    "ordersSettings.saveCompany": "Save company details",
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
    "ordersSettings.company": "Наша компания в счетах",
    "ordersSettings.companyHint": "Печатается вверху каждого счёта в PDF, реквизиты — внизу. Пустое поле берёт значение из настроек установки.",
    "ordersSettings.company_name": "Название компании",
    "ordersSettings.company_address": "Адрес (по строкам)",
    "ordersSettings.company_tax_id": "ИНН",
    "ordersSettings.company_email": "Email",
    "ordersSettings.company_phone": "Телефон",
    "ordersSettings.company_bank": "Банковские реквизиты (по строкам)",
    "ordersSettings.saveCompany": "Сохранить реквизиты",
    "ordersSettings.never": "Ещё не менялось: действует значение по умолчанию для установки.",
    "ordersSettings.changed": "Последнее изменение: {when}.",
  },
};

export default messages;
