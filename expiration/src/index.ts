import { startService } from '@ticketing/common/service';
import { expirationService } from './service';

// The parts are declared in service.ts.
void startService(expirationService);
