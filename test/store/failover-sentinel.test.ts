/** Marks that survive a Sentinel failover, through node-redis. */
import { failoverSuite } from './failover-suite';

failoverSuite('sentinel', 'node-redis');
