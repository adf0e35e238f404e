"""Bridge API v3 (Bankin') layer, plain Python without Odoo: `const`, `client` (API client),
`webhook` (signature and event parsing) and `emulator` (local Bridge for tests and the demo)."""
