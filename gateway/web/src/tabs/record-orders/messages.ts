export default {
  en: {
    "tab.orders": "Orders",
    "recordOrders.none": "No orders yet.",
    "recordOrders.new": "New order",
    "recordOrders.fromDeal": "Create order",
    "recordOrders.another": "Create another order",
  },
  ru: {
    "tab.orders": "Заказы",
    "recordOrders.none": "Заказов пока нет.",
    "recordOrders.new": "Новый заказ",
    "recordOrders.fromDeal": "Создать заказ",
    "recordOrders.another": "Создать ещё один заказ",
  },
};
