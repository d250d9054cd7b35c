/** The Store contract, the token stampede, cross-process sessions and exactly-once notifies on a real Redis cluster, through node-redis and ioredis. */
import { topologySuite } from './topology-suite';

topologySuite('cluster');
