export default {
  en: {
    "tab.invoices": "Invoices",
    "orderInvoices.none": "No invoices yet.",
  },
  ru: {
    "tab.invoices": "Счета",
    "orderInvoices.none": "Счетов пока нет.",
  },
};
