/** @odoo-module **/

import { registry } from "@web/core/registry";

// Collection draft (PK-6): the nightly receipts are listed, the import wizard opens, selected
// receipts are posted with Odoo's own posting.
registry.category("web_tour.tours").add("pos_kiosk_connectic_collection_draft_tour", {
    steps: () => [
        {
            content: "The nightly import's receipts are in the collection draft",
            trigger: ".o_list_view .o_data_row td[name=connectic_transaction_id]:contains(K1-000124)",
        },
        {
            content: "Open the manual import wizard",
            trigger: ".o_control_panel button:contains(Import a file)",
            run: "click",
        },
        {
            content: "The wizard asks for the payments file",
            trigger: ".modal .o_field_widget[name=file]",
        },
        {
            content: "Close the wizard",
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Select every receipt",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Both receipts are selected",
            trigger: ".o_list_selection_box:contains(2)",
        },
        {
            content: "Post them",
            trigger: ".o_list_selection_container button:contains(Post)",
            run: "click",
        },
        {
            content: "Posted, they leave the receipts to post",
            trigger: ".o_view_nocontent:contains(No kiosk receipt to post)",
        },
    ],
});
