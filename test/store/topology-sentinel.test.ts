/** The Store contract, the token stampede, cross-process sessions and exactly-once notifies on a real Redis sentinel, through node-redis and ioredis. */
import { topologySuite } from './topology-suite';

topologySuite('sentinel');
