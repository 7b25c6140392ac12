/** The laptop's API key: any `sk_test_…` key works, this is the one the launcher hands the payments service. */
export const EMULATOR_API_KEY = 'sk_test_ticketing_emulator';

/** The laptop's webhook signing secret, shared by the emulator and the payments service when none is set. */
export const EMULATOR_WEBHOOK_SECRET = 'whsec_ticketing_local_emulator';

/** Where the emulator listens on a laptop (`npm start`). */
export const EMULATOR_DEFAULT_PORT = 12111;
