/** @odoo-module **/

import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";

// Fills the BIC from the IBAN while the customer types, when the bank can be derived from it
// (the server checks and derives it again on submit).
publicWidget.registry.SepaOneoffForm = publicWidget.Widget.extend({
    selector: ".o_sepa_oneoff_form form",
    events: {
        "change input[name='iban']": "_onIbanChange",
    },

    async _onIbanChange(ev) {
        const bicInput = this.el.querySelector("input[name='bic']");
        if (!bicInput || bicInput.value.trim()) {
            return;
        }
        const result = await rpc("/my/sepa-oneoff/bic", { iban: ev.currentTarget.value });
        if (result.bic && !bicInput.value.trim()) {
            bicInput.value = result.bic;
        }
    },
});
