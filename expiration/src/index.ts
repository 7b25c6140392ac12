import { startService } from '@ticketing/common';
import { expirationService } from './service';

// The parts are declared in service.ts.
void startService(expirationService);
