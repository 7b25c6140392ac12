/**
 * The check-in API as the door page reads it (`POST /api/checkins` and the offline downloads): the generated
 * types of docs/openapi.yaml, under the names the door's modules use.
 */
export type {
  CheckinAdmitted,
  CheckinAnswer,
  CheckinRefused,
  CheckinRequest,
  DoorTicket,
  PassVoidReason,
  DoorTickets as DoorTicketsResponse,
  PassKey as PublishedPassKey,
  RevokedCode as RevokedPassCode,
  RevokedCodes as RevokedPassCodesResponse,
} from '@ticketing/common/api';
