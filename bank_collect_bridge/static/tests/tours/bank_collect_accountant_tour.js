/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// The everyday bank collection as an accountant holding only the roles Community's user form
// offers (Invoicing user or administrator, not Settings): from the apps menu to the journals'
// dashboard, Synchro on the bank journal's card, then the error report and the pending list,
// each reached through the menus this user sees.
registry.category("web_tour.tours").add("bank_collect_accountant_tour", {
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Open the bank collection menu",
            trigger: ".o_menu_sections [data-menu-xmlid='bank_collect_bridge.menu_bank_collect']",
            run: "click",
        },
        {
            content: "Open the journals' dashboard",
            trigger: ".dropdown-item[data-menu-xmlid='bank_collect_bridge.menu_bank_collect_dashboard']",
            run: "click",
        },
        {
            content: "Click Synchro on the bank journal's card",
            trigger: ".o_kanban_record:contains(Banque Tour) button[name='action_bank_collect_sync']",
            run: "click",
        },
        {
            content: "The collection is done: the new transactions are told",
            trigger: ".o_notification:contains(Bank collection done):contains(2 new transactions)",
        },
        {
            content: "Open the bank collection menu again",
            trigger: ".o_menu_sections [data-menu-xmlid='bank_collect_bridge.menu_bank_collect']",
            run: "click",
        },
        {
            content: "Open the error report",
            trigger: ".dropdown-item[data-menu-xmlid='bank_collect_bridge.menu_bank_collect_issue']",
            run: "click",
        },
        {
            content: "The journal's open issue is listed",
            trigger: ".o_list_view .o_data_row:contains(Banque Tour):contains(Transaction to review)",
        },
        {
            content: "Open the bank collection menu once more",
            trigger: ".o_menu_sections [data-menu-xmlid='bank_collect_bridge.menu_bank_collect']",
            run: "click",
        },
        {
            content: "Open the pending transactions",
            trigger: ".dropdown-item[data-menu-xmlid='bank_collect_bridge.menu_bank_collect_transaction']",
            run: "click",
        },
        {
            content: "The transactions the Synchro just collected wait there",
            trigger: ".o_list_view .o_data_row:contains(LOYER TOUR DECEMBRE)",
        },
        {
            content: "and the earlier ones too",
            trigger: ".o_list_view .o_data_row:contains(VIREMENT TOUR ANCIEN)",
        },
    ],
});
