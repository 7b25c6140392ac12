/** What a transfer, a resale listing (and the door) answer once a ticket was admitted: it can change hands no more. */
export const ALREADY_ADMITTED_MESSAGE = 'This ticket has already been admitted';
export const TRANSFER_TO_YOURSELF_MESSAGE = 'You already hold this ticket';
export const UNKNOWN_RECIPIENT_MESSAGE = 'No account uses this email';
export const LISTED_FOR_RESALE_MESSAGE = 'This ticket is listed for resale; withdraw the listing first';
