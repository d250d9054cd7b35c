/** Marks that survive a Cluster failover, through ioredis (WAIT routed to the slot's master). */
import { failoverSuite } from './failover-suite';

failoverSuite('cluster', 'ioredis');
