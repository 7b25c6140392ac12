import { startService } from '@ticketing/common/service';
import { authService } from './service';

// The parts are declared in service.ts, where tests build their app from them too.
void startService(authService);
