import { startService } from '@ticketing/common/service';
import { ticketsService } from './service';

// The parts are declared in service.ts, where tests build their app from them too.
void startService(ticketsService);
