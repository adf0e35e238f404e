/** @odoo-module **/

import { registry } from "@web/core/registry";

// The whole portal journey (SO-2..SO-5): button on /my, form, recap, signature, confirmation.
registry.category("web_tour.tours").add("sepa_oneoff_portal_tour", {
    url: "/my",
    steps: () => [
        {
            content: "The balance due and the button are on the portal home",
            trigger: ".o_sepa_oneoff_entry .o_sepa_oneoff_due:contains(120.00)",
        },
        {
            content: "Open the direct debit form",
            trigger: "a.o_sepa_oneoff_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The amount defaults to the balance due",
            trigger: "input[name='amount']:value(120.00)",
        },
        {
            content: "Type a last name",
            trigger: "input[name='lastname']",
            run: "edit MARITON",
        },
        {
            content: "Type a first name",
            trigger: "input[name='firstname']",
            run: "edit Paul",
        },
        {
            content: "Pay part of the balance",
            trigger: "input[name='amount']",
            run: "edit 65.63",
        },
        {
            content: "Type the IBAN: the BIC is filled from it",
            trigger: "input[name='iban']",
            run: "edit FR76 3000 6000 0112 3456 7890 189 && press Tab",
        },
        {
            content: "The BIC was derived from the IBAN",
            trigger: "input[name='bic']:value(AGRIFRPPXXX)",
        },
        {
            content: "Type the street of the debtor's address",
            trigger: "input[name='street']",
            run: "edit 3 place Stanislas",
        },
        {
            content: "Type the postcode",
            trigger: "input[name='zip']",
            run: "edit 54000",
        },
        {
            content: "Type the town",
            trigger: "input[name='city']",
            run: "edit Nancy",
        },
        {
            content: "Choose the country",
            trigger: "select[name='country_code']",
            run: "select FR",
        },
        {
            content: "Continue to the mandate",
            trigger: "button.o_sepa_oneoff_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The recap shows the mandate to sign",
            trigger: ".o_sepa_oneoff_recap .o_sepa_oneoff_rum:contains(RUM-)",
        },
        {
            content: "with the amount",
            trigger: ".o_sepa_oneoff_recap .o_sepa_oneoff_amount:contains(65.63)",
        },
        {
            content: "with the debtor's address",
            trigger: ".o_sepa_oneoff_recap .o_sepa_oneoff_address:contains(3 place Stanislas, 54000 Nancy)",
        },
        {
            content: "Tick the signature box",
            trigger: "input[name='accept']",
            run: "click",
        },
        {
            content: "Sign",
            trigger: "button.o_sepa_oneoff_sign",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The confirmation gives the mandate reference",
            trigger: ".o_sepa_oneoff_done .o_sepa_oneoff_done_rum:contains(RUM-)",
        },
        {
            content: "and the IBAN is masked",
            trigger: ".o_sepa_oneoff_done .o_sepa_oneoff_iban_masked:contains(**** 0189)",
        },
    ],
});
