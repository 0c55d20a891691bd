export default {
  en: {
    "tab.payments": "Payments",
    "payments.none": "No payments yet.",
    "payments.paidAt": "Paid on",
    "payments.amount": "Amount",
    "payments.by": "Registered by",
    "payments.total": "Paid in all",
  },
  ru: {
    "tab.payments": "Оплаты",
    "payments.none": "Оплат пока нет.",
    "payments.paidAt": "Дата оплаты",
    "payments.amount": "Сумма",
    "payments.by": "Кто зарегистрировал",
    "payments.total": "Всего оплачено",
  },
};
