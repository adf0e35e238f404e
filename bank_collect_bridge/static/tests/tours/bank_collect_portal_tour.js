/** @odoo-module **/

import { registry } from "@web/core/registry";

// BC-13, first half of the client's journey: from the invitation link (signup) to the page that
// sends them to the bank aggregator. The aggregator's hosted page is another origin where no
// tour can run: the test drives it over HTTP, then resumes with the tour below on the callback.
registry.category("web_tour.tours").add("bank_collect_portal_signup_tour", {
    steps: () => [
        {
            content: "The invitation link opens the signup form: choose a password",
            trigger: "input[name='password']",
            run: "edit lucile.portal@example.com",
        },
        {
            content: "Confirm the password",
            trigger: "input[name='confirm_password']",
            run: "edit lucile.portal@example.com",
        },
        {
            content: "Sign up",
            trigger: "form.oe_signup_form button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The link leads to the account the accountant asks to connect",
            trigger: ".o_bank_collect_confirm:contains(Banque Portail)",
        },
        {
            content: "Go to the portal home",
            trigger: ".o_portal_submenu a[href='/my/home']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The home shows the bank accounts tile once its counter is loaded",
            trigger: ".o_portal_index_card a[href='/my/bank-accounts']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The attached journal is listed, to connect",
            trigger: ".o_bank_collect_journal:contains(Banque Portail) .o_bank_collect_state_to_connect",
        },
        {
            content: "Connect it",
            trigger: ".o_bank_collect_journal:contains(Banque Portail) button.o_bank_collect_connect",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The page offers to continue to the bank aggregator's hosted page",
            trigger: ".o_bank_collect_funnel a.o_bank_collect_continue[href*='/connect/session/']",
        },
    ],
});

// Second half: back from the aggregator, choose the account, see the journal connected.
registry.category("web_tour.tours").add("bank_collect_portal_choose_tour", {
    steps: () => [
        {
            content: "The accounts of the bank are offered: choose the current account",
            trigger: "tr:contains(Compte courant professionnel) input[name='account_id']",
            run: "click",
        },
        {
            content: "Attach this account",
            trigger: "form button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The account is connected",
            trigger: ".alert-success:contains(Banque Portail)",
        },
        {
            content: "Back to my bank accounts",
            trigger: "a#bank_collect_back[href='/my/bank-accounts']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The journal is now connected",
            trigger: ".o_bank_collect_journal:contains(Banque Portail) .o_bank_collect_state_connected",
        },
    ],
});
